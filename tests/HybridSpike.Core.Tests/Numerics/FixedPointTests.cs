using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class FixedPointTests
{
    [Fact]
    public void The_block_exponent_puts_the_largest_weight_at_the_top_of_the_mantissa_range()
    {
        // 8 bits: mantissas up to 127. max |w| = 1.0 -> e = -6 (1.0 / 2^-6 = 64; e = -7 would give 128 > 127).
        Assert.Equal(-6, FixedPoint.BlockExponent([0.25, -1.0, 0.5], 8));
        Assert.Equal(64, FixedPoint.Mantissa(1.0, -6, 8));
        // max |w| = 0.99 -> e = -7 (0.99 · 128 = 126.7 -> 127 fits).
        Assert.Equal(-7, FixedPoint.BlockExponent([0.99], 8));
        Assert.Equal(0, FixedPoint.BlockExponent([0.0, 0.0], 8));
    }

    [Fact]
    public void Mantissas_round_half_to_even_and_clamp()
    {
        Assert.Equal(2, FixedPoint.Mantissa(2.5, 0, 8));
        Assert.Equal(4, FixedPoint.Mantissa(3.5, 0, 8));
        Assert.Equal(-127, FixedPoint.Mantissa(-1000, 0, 8));
        Assert.Equal(0.375, FixedPoint.Value(3, -3));
    }

    [Fact]
    public void Discretizing_a_block_errs_by_at_most_half_a_step_and_never_overflows()
    {
        Prop.ForAll(
            Gen.Choose(-100_000, 100_000).Select(i => i / 1000.0).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            Gen.Choose(3, 12).ToArbitrary(),
            (weights, bits) =>
            {
                int e = FixedPoint.BlockExponent(weights, bits);
                double step = Math.ScaleB(1, e);
                return weights.All(w =>
                {
                    int m = FixedPoint.Mantissa(w, e, bits);
                    return Math.Abs(m) <= FixedPoint.MaxMantissa(bits) && Math.Abs(FixedPoint.Value(m, e) - w) <= step / 2;
                });
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_vectorized_unit_step_rounds_half_to_even_as_the_scalar_definition()
    {
        // Ties of x·2^16 and of ω·x·2^32 in more than one vector's worth of units, both signs.
        var x = Enumerable.Range(0, 37).Select(i => (i - 18 + 0.5) / 65536.0).ToArray();
        var fx = new double[x.Length];
        var payloads = new long[x.Length];
        FixedPoint.UnitsStep(Activation.Linear, null, QuantizerRule.Default, 0, x, fx, new long[x.Length], payloads, new double[x.Length], new int[x.Length]);
        Assert.Equal(x.Select(FixedPoint.Payload), payloads);
        Assert.Equal(2, FixedPoint.Payload(2.5 / 65536));
        Assert.Equal(-2, FixedPoint.Payload(-2.5 / 65536));

        var state = new long[x.Length];
        var counts = new int[x.Length];
        var relu = new double[x.Length];
        var big = x.Select(v => v * 65536 * 3).ToArray();
        FixedPoint.UnitsStep(Activation.Relu, 0.75, QuantizerRule.Default, 0, big, relu, state, payloads, new double[x.Length], counts);
        for (int i = 0; i < x.Length; i++)
        {
            long delta = (long)Math.Round(0.75 * Math.Max(big[i], 0) * 4294967296.0, MidpointRounding.ToEven);
            Assert.Equal(delta >> 32, counts[i]);
            Assert.Equal(delta - ((delta >> 32) << 32), state[i]);
        }
    }

    [Fact]
    public void A_quantizer_step_that_does_not_fit_is_an_error_on_every_lane()
    {
        var fx = Enumerable.Repeat(1.0, 16).ToArray();
        fx[11] = double.NaN;
        Assert.Throws<OverflowException>(() => FixedPoint.QuantizerStep(QuantizerRule.Default, new long[16], fx, 1.0, new int[16], 0));
        fx[11] = 1e300;
        Assert.Throws<OverflowException>(() => FixedPoint.QuantizerStep(QuantizerRule.Default, new long[16], fx, 1.0, new int[16], 0));
    }
}
