using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Core.Tests.Reference;

public class FixedPointSimulatorTests
{
    /// <summary>
    /// input (2) → a (5, relu, ω 4) → b (3, linear, ω 2, one-step recurrence) → out (2, linear, non-spiking),
    /// with weights m·2^−4 (m·2^−6 on the recurrence) and states starting at zero: every value is dyadic, so float64 and the
    /// fixed-point arithmetic compute the very same numbers.
    /// </summary>
    private static FixedPointNetwork Dyadic()
    {
        var g = new SplitMix64(9);
        FixedPointWeights W(int rows, int cols, int exponent) =>
            new(rows, cols, [.. Enumerable.Range(0, rows * cols).Select(_ => g.NextInt(31) - 15)], [.. Enumerable.Repeat(exponent, rows)]);
        var weights = ImmutableArray.Create(W(5, 2, -4), W(3, 5, -4), W(3, 3, -6), W(2, 3, -4)); // a small recurrence stays bounded
        Connection C(string s, string t, FixedPointWeights w, Delay d) =>
            new(s, t, new DenseWeights(Matrix.Create(w.Targets, w.Sources, (i, j) => FixedPoint.Value(w.Mantissa(i, j), w.RowExponents[i]))), d);
        var net = new NetworkDescription(
            [new Population("a", 5, Activation.Relu, 4, [0.25, 0, -0.5, 0.125, 0], InitialStateMode.Zeros, 0),
             new Population("b", 3, Activation.Linear, 2, [], InitialStateMode.Zeros, 0),
             new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [C("input", "a", weights[0], Delay.SameStep), C("a", "b", weights[1], Delay.SameStep), C("b", "b", weights[2], Delay.OneStep), C("b", "out", weights[3], Delay.SameStep)],
            new InputMapping(2, "dyadic"), new OutputMapping("out", OutputMapping.LastStep));
        return new FixedPointNetwork(net, weights);
    }

    private static double[] Inputs(int batch, int steps, ulong seed)
    {
        var g = new SplitMix64(seed);
        return [.. Enumerable.Range(0, batch * steps * 2).Select(_ => g.NextInt(65) / 64.0)];
    }

    private sealed class Recorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) => Seen.Add((step, population.Name, counts.ToArray()));
    }

    [Fact]
    public void On_a_dyadic_network_it_equals_the_float64_golden_simulator_count_for_count()
    {
        var fixedNet = Dyadic();
        var inputs = Inputs(4, 60, 2);
        var fixedCounts = new Recorder();
        var floatCounts = new Recorder();
        var f = FixedPointSimulator.Create(fixedNet).Run(inputs, 4, 60, fixedCounts);
        var g = GoldenSimulator.Create(fixedNet.Network).Run(inputs, 4, 60, floatCounts);
        Assert.Equal(g.Outputs.ToArray(), f.Outputs.ToArray());
        Assert.Equal(floatCounts.Seen.Count, fixedCounts.Seen.Count);
        for (int i = 0; i < floatCounts.Seen.Count; i++)
        {
            Assert.Equal(floatCounts.Seen[i].Population, fixedCounts.Seen[i].Population);
            Assert.Equal(floatCounts.Seen[i].Counts, fixedCounts.Seen[i].Counts);
        }
        Assert.Contains(fixedCounts.Seen, s => s.Counts.Any(c => c < 0)); // b is signed: the test reaches negative counts
        Assert.Contains(fixedCounts.Seen, s => s.Counts.Any(c => c > 1));  // and graded ones
    }

    [Fact]
    public void A_sample_gives_the_same_counts_alone_or_in_a_batch()
    {
        var sim = FixedPointSimulator.Create(Dyadic());
        var inputs = Inputs(3, 40, 5);
        var all = sim.Run(inputs, 3, 40);
        var second = sim.Run(inputs.AsSpan(40 * 2, 40 * 2), 1, 40);
        Assert.Equal(all.Outputs.Row(1).ToArray(), second.Outputs.Row(0).ToArray());
    }

    [Fact]
    public void The_Q32_quantizer_keeps_the_remainder_in_range_and_matches_the_float_one_on_dyadic_values()
    {
        var v = new long[] { 0, FixedPoint.InitialState(0.5), FixedPoint.InitialState(0.75) };
        var n = new int[3];
        FixedPoint.QuantizerStep(QuantizerRule.Default, v, [1.25, -0.5, 0.125], 4, n, 0);
        Assert.Equal([5, -2, 1], n);
        Assert.All(v, x => Assert.InRange(x, 0, (1L << 32) - 1));
        var fv = new[] { 0.0, 0.5, 0.75 };
        var fn = new int[3];
        SigmaDelta.Step(fv, [1.25, -0.5, 0.125], 4, fn);
        Assert.Equal(fn, n);
        Assert.Equal(fv.Select(x => FixedPoint.InitialState(x)), v);
    }

    [Fact]
    public void Mismatched_weights_are_refused()
    {
        var net = Dyadic();
        var e = Assert.Throws<ArgumentException>(() => FixedPointSimulator.Create(net with { Weights = net.Weights.RemoveAt(0) }));
        Assert.Contains("3 fixed-point weight sets for 4 connections", e.Message);
    }
}
