using System.Runtime.Intrinsics;
using HybridSpike.Core.Numerics;
using Xunit.Abstractions;

namespace HybridSpike.Core.Tests.Numerics;

public class ElementaryTests(ITestOutputHelper output)
{
    /// <summary>The bound Elementary's comment states, in ulps of the exact value.</summary>
    private const double Bound = 0.6;

    private static long Bits(double x) => BitConverter.DoubleToInt64Bits(x);

    /// <summary>x = ±m·2^e with a random 52-bit fraction and e uniform in [lo, hi] (subnormals when lo = −1074).</summary>
    private static double LogUniform(ref SplitMix64 g, int lo, int hi)
    {
        int e = lo + g.NextInt(hi - lo + 1);
        double m = 1 + (g.NextUInt64() >> 12) * 2.220446049250313E-16;
        double x = e < -1022 ? (g.NextUInt64() >> (12 + Math.Max(0, -1022 - e))) * double.Epsilon : Math.ScaleB(m, e);
        return (g.NextUInt64() & 1) == 0 ? x : -x;
    }

    /// <summary>The arguments a test of one function runs over: seeded random ones over the whole range and its
    /// joints, and the edges.</summary>
    private static List<double> Arguments(ulong seed, double uniformRange, double[] joints, double[] edges)
    {
        var g = new SplitMix64(seed);
        var xs = new List<double>(edges);
        for (int i = 0; i < 6000; i++) xs.Add((2 * g.NextDouble() - 1) * uniformRange);
        for (int i = 0; i < 3000; i++) xs.Add((2 * g.NextDouble() - 1) * 2);
        for (int i = 0; i < 3000; i++) xs.Add(LogUniform(ref g, -1074, 10));
        foreach (double j in joints)
        {
            double y = j;
            for (int i = 0; i < 64; i++) { xs.Add(y); xs.Add(-y); y = Math.BitIncrement(y); }
            y = j;
            for (int i = 0; i < 64; i++) { y = Math.BitDecrement(y); xs.Add(y); xs.Add(-y); }
            for (int i = 0; i < 200; i++) xs.Add(j * (1 + (2 * g.NextDouble() - 1) * 1e-3));
        }
        return xs;
    }

    private static readonly double[] TanhJoints =
        [0.25, 0.2554128118829953 /* atanh 1/4 */, 0.5493061443340549 /* atanh 1/2 */, 0.55, 0.3466, 1.0397, 19.06, 22, 1.4901161193847656E-08, 9.5367431640625E-07];

    private static readonly double[] SigmoidJoints = [5.551115123125783E-17, 0.3466, 0.6932, 1, 36.7, 37.5, 40, 708.39, 709.1, 745.13, 746];

    private static readonly double[] Edges =
        [0.0, -0.0, double.Epsilon, -double.Epsilon, 2.2250738585072014E-308, 1e-300, 1e-17, 0.1, 0.5, 1, 2, 10, 20, 50, 700, 1e300, double.MaxValue, -double.MaxValue];

    private double MaxError(IEnumerable<double> xs, Func<double, double> f, Func<double, double, double> error, string what)
    {
        double worst = 0, at = double.NaN;
        int n = 0;
        foreach (double x in xs)
        {
            double e = error(x, f(x));
            if (!(e <= worst)) { worst = e; at = x; }
            n++;
        }
        output.WriteLine($"{what}: {n} arguments, max error {worst:F4} ulp at x = {at:R}");
        return worst;
    }

    [Fact]
    public void Tanh_is_within_the_stated_bound_of_the_exact_value_over_the_whole_range()
    {
        var xs = Arguments(1, 25, TanhJoints, Edges);
        double worst = MaxError(xs, Elementary.Tanh,
            (x, y) => ExactActivations.UlpError(x < 0 ? -y : y, ExactActivations.TanhOfMagnitude(x)), "tanh");
        Assert.InRange(worst, 0, Bound);
    }

    [Fact]
    public void Sigmoid_is_within_the_stated_bound_of_the_exact_value_over_the_whole_range()
    {
        var xs = Arguments(2, 760, SigmoidJoints, Edges);
        xs.AddRange(Arguments(3, 40, [], []));
        double worst = MaxError(xs, Elementary.Sigmoid, (x, y) => ExactActivations.UlpError(y, ExactActivations.Sigmoid(x)), "sigmoid");
        Assert.InRange(worst, 0, Bound);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // (xUnit takes 0.0 and −0.0 for the same data)
    public void Tanh_of_a_zero_is_that_zero_with_its_sign(bool negative)
    {
        double zero = negative ? -0.0 : 0.0;
        Assert.Equal(Bits(zero), Bits(Elementary.Tanh(zero)));
    }

    [Theory]
    [InlineData(1e-300)]
    [InlineData(-4.9406564584124654E-324)]
    [InlineData(3.725290298461914E-09)]
    public void Tanh_of_a_tiny_argument_is_the_argument(double x) => Assert.Equal(Bits(x), Bits(Elementary.Tanh(x)));

    [Theory]
    [InlineData(19.1, 1.0)]
    [InlineData(-22.0, -1.0)]
    [InlineData(1e300, 1.0)]
    [InlineData(double.PositiveInfinity, 1.0)]
    [InlineData(double.NegativeInfinity, -1.0)]
    public void Tanh_saturates_to_exactly_plus_or_minus_one(double x, double expected) => Assert.Equal(Bits(expected), Bits(Elementary.Tanh(x)));

    [Fact]
    public void Tanh_of_NaN_is_NaN() => Assert.True(double.IsNaN(Elementary.Tanh(double.NaN)));

    [Fact]
    public void Tanh_is_odd_bit_for_bit()
    {
        var g = new SplitMix64(4);
        for (int i = 0; i < 5000; i++)
        {
            double x = LogUniform(ref g, -60, 6);
            Assert.Equal(Bits(-Elementary.Tanh(x)), Bits(Elementary.Tanh(-x)));
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-300)]
    [InlineData(-1e-300)]
    public void Sigmoid_of_zero_and_tiny_arguments_is_one_half(double x) => Assert.Equal(0.5, Elementary.Sigmoid(x));

    [Fact]
    public void Sigmoid_of_negative_zero_is_one_half() => Assert.Equal(0.5, Elementary.Sigmoid(-0.0));

    [Theory]
    [InlineData(37.5, 1.0)]
    [InlineData(1e300, 1.0)]
    [InlineData(double.PositiveInfinity, 1.0)]
    [InlineData(-745.2, 0.0)]
    [InlineData(-1e300, 0.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    public void Sigmoid_saturates_to_exactly_one_or_positive_zero(double x, double expected) => Assert.Equal(Bits(expected), Bits(Elementary.Sigmoid(x)));

    [Theory]
    [InlineData(-709.0)]
    [InlineData(-740.0)]
    [InlineData(-745.0)]
    public void Sigmoid_goes_gradually_through_the_subnormals(double x) =>
        Assert.InRange(Elementary.Sigmoid(x), double.Epsilon, 2.2250738585072009E-308); // (0, smallest normal)

    [Fact]
    public void Sigmoid_of_NaN_is_NaN() => Assert.True(double.IsNaN(Elementary.Sigmoid(double.NaN)));

    /// <summary>Every width's lanes against the scalar form, on arguments from every region and the edges.</summary>
    private static double[] WidthArguments()
    {
        var xs = Arguments(5, 800, [.. TanhJoints, .. SigmoidJoints], [.. Edges, double.NaN, double.PositiveInfinity, double.NegativeInfinity]);
        while (xs.Count % 8 != 0) xs.Add(0.3);
        return [.. xs];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_vector_width_gives_the_bits_of_the_scalar_form(bool sigmoid)
    {
        Func<double, double> scalar = sigmoid ? Elementary.Sigmoid : Elementary.Tanh;
        var xs = WidthArguments();
        var y2 = new double[xs.Length];
        var y4 = new double[xs.Length];
        var y8 = new double[xs.Length];
        for (int i = 0; i < xs.Length; i += 2)
        {
            var v = Vector128.Create(xs.AsSpan(i, 2));
            (sigmoid ? Elementary.Sigmoid(v) : Elementary.Tanh(v)).CopyTo(y2.AsSpan(i));
        }
        for (int i = 0; i < xs.Length; i += 4)
        {
            var v = Vector256.Create(xs.AsSpan(i, 4));
            (sigmoid ? Elementary.Sigmoid(v) : Elementary.Tanh(v)).CopyTo(y4.AsSpan(i));
        }
        for (int i = 0; i < xs.Length; i += 8)
        {
            var v = Vector512.Create(xs.AsSpan(i, 8));
            (sigmoid ? Elementary.Sigmoid(v) : Elementary.Tanh(v)).CopyTo(y8.AsSpan(i));
        }
        var expected = xs.Select(x => Bits(scalar(x))).ToArray();
        Assert.Equal(expected, y2.Select(Bits));
        Assert.Equal(expected, y4.Select(Bits));
        Assert.Equal(expected, y8.Select(Bits));
    }

    public static TheoryData<Activation, int> ActivationsAndLengths()
    {
        var data = new TheoryData<Activation, int>();
        foreach (var f in new[] { Activation.Tanh, Activation.Sigmoid, Activation.Relu, Activation.Linear })
            foreach (int n in new[] { 0, 1, 3, 7, 8, 9, 15, 17, 31, 212, 4096 })
                data.Add(f, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationsAndLengths))]
    public void ApplyAll_gives_the_bits_of_Apply_for_every_element_tails_included(Activation f, int n)
    {
        var g = new SplitMix64((ulong)n);
        var x = Enumerable.Range(0, n).Select(_ => (2 * g.NextDouble() - 1) * 30).ToArray();
        var fx = new double[n];
        Activations.ApplyAll(f, x, fx);
        Assert.Equal(x.Select(v => Bits(Activations.Apply(f, v))), fx.Select(Bits));
    }

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void ApplyAll_in_place_gives_the_bits_of_Apply(Activation f)
    {
        var g = new SplitMix64(6);
        var x = Enumerable.Range(0, 213).Select(_ => (2 * g.NextDouble() - 1) * 30).ToArray();
        var expected = x.Select(v => Bits(Activations.Apply(f, v))).ToArray();
        Activations.ApplyAll(f, x, x);
        Assert.Equal(expected, x.Select(Bits));
    }

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    public void Apply_is_the_elementary_function(Activation f)
    {
        var g = new SplitMix64(7);
        Func<double, double> e = f == Activation.Tanh ? Elementary.Tanh : Elementary.Sigmoid;
        for (int i = 0; i < 1000; i++)
        {
            double x = (2 * g.NextDouble() - 1) * 30;
            Assert.Equal(Bits(e(x)), Bits(Activations.Apply(f, x)));
        }
    }

    [Fact]
    public void The_tanh_derivative_is_one_minus_the_same_tanh_squared()
    {
        var g = new SplitMix64(8);
        for (int i = 0; i < 1000; i++)
        {
            double x = (2 * g.NextDouble() - 1) * 10, t = Elementary.Tanh(x);
            Assert.Equal(Bits(1 - t * t), Bits(Activations.Derivative(Activation.Tanh, x)));
        }
    }

    [Fact]
    public void The_sigmoid_derivative_is_the_same_sigmoid_times_its_complement()
    {
        var g = new SplitMix64(9);
        for (int i = 0; i < 1000; i++)
        {
            double x = (2 * g.NextDouble() - 1) * 30, s = Elementary.Sigmoid(x);
            Assert.Equal(Bits(s * (1 - s)), Bits(Activations.Derivative(Activation.Sigmoid, x)));
        }
    }
}
