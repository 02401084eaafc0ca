using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Tests.Compile;

public class DiscretizeTests
{
    private static readonly HardwareProfile Test = HybridSpike.Mapping.Profiles.Profiles.Get("test");

    private static NetworkDescription Net(Func<int, int, double> weight) => new(
        [new Population("a", 24, Activation.Tanh, 3.0, [], InitialStateMode.Uniform, 1)],
        [new Connection("input", "a", new DenseWeights(Matrix.Create(24, 2, weight)), Delay.SameStep)],
        new InputMapping(2, "t"), new OutputMapping("a", OutputMapping.LastStep));

    [Fact]
    public void Each_target_piece_gets_its_own_exponent()
    {
        // Rows 0-15 (first core) are small, rows 16-23 (second core) large: two blocks, two exponents.
        var d = Discretize.Run(Split.Run(Net((t, s) => t < 16 ? 0.01 * (s + 1) : 3.0 * (s + 1)), Test));
        Assert.Equal([(0, 16), (16, 8)], d.Blocks.Select(b => (b.TargetStart, b.TargetCount)));
        Assert.Equal(FixedPoint.BlockExponent([0.01, 0.02], 8), d.Blocks[0].Exponent);
        Assert.Equal(FixedPoint.BlockExponent([3.0, 6.0], 8), d.Blocks[1].Exponent);
        Assert.True(d.Blocks[0].Exponent < d.Blocks[1].Exponent);
    }

    [Fact]
    public void The_discretized_network_holds_exactly_the_blocks_values_within_half_a_step_of_the_original()
    {
        var g = new SplitMix64(4);
        var original = Net((_, _) => 2 * g.NextDouble() - 1);
        var d = Discretize.Run(Split.Run(original, Test));
        var before = ((DenseWeights)original.Connections[0].Weights).Matrix;
        var after = ((DenseWeights)d.Network.Connections[0].Weights).Matrix;
        foreach (var b in d.Blocks)
            for (int r = 0; r < b.TargetCount; r++)
                for (int s = 0; s < b.Sources; s++)
                {
                    Assert.Equal(b.Weight(r, s), after[b.TargetStart + r, s]);
                    Assert.True(Math.Abs(after[b.TargetStart + r, s] - before[b.TargetStart + r, s]) <= Math.ScaleB(1, b.Exponent) / 2);
                }
        Assert.True(d.Errors[0].MaxAbsoluteError > 0);
        Assert.All(d.Blocks.SelectMany(b => b.Mantissas), m => Assert.InRange(m, -127, 127));
    }

    [Fact]
    public void The_fixed_point_network_carries_the_same_weights_as_mantissas_and_row_exponents()
    {
        var g = new SplitMix64(6);
        var d = Discretize.Run(Split.Run(Net((_, _) => 4 * g.NextDouble() - 2), Test));
        var fixedNet = d.FixedPoint();
        var w = fixedNet.Weights.Single();
        var m = ((DenseWeights)d.Network.Connections[0].Weights).Matrix;
        for (int t = 0; t < w.Targets; t++)
            for (int s = 0; s < w.Sources; s++)
                Assert.Equal(m[t, s], FixedPoint.Value(w.Mantissa(t, s), w.RowExponents[t]));
        Assert.Equal(d.Blocks[0].Exponent, w.RowExponents[0]);
        Assert.Equal(d.Blocks[1].Exponent, w.RowExponents[23]);
    }

    private static NetworkDescription SparseNet(ImmutableArray<int> targets, ImmutableArray<int> sources, ImmutableArray<double> values) => new(
        [new Population("a", 24, Activation.Relu, 2.0, [], InitialStateMode.Zeros, 1)],
        [new Connection("input", "a", new SparseWeights(24, 3, targets, sources, values), Delay.SameStep)],
        new InputMapping(3, "t"), new OutputMapping("a", OutputMapping.LastStep));

    [Fact]
    public void Sparse_weights_are_discretized_per_target_piece_stay_sparse_and_run_the_same_on_the_fixed_point_and_float_models()
    {
        // Dyadic weights (few bits) and inputs k/64: float64 and fixed point compute the same numbers.
        int[] t = [0, 3, 5, 17, 23, 23];
        int[] src = [0, 2, 1, 0, 1, 2];
        double[] w = [0.5, -0.25, 1.75, 3.0, -2.5, 0.125];
        var d = Discretize.Run(Split.Run(SparseNet([.. t], [.. src], [.. w]), Test));
        var sparse = Assert.IsType<SparseWeights>(d.Network.Connections[0].Weights);
        Assert.Equal(w, sparse.Values.ToArray());
        Assert.Equal([(0, 16), (16, 8)], d.Blocks.Select(b => (b.TargetStart, b.TargetCount)));
        var inputs = Enumerable.Range(0, 4 * 3 * 20).Select(i => (i * 7 % 64) / 64.0).ToArray();
        var fixedPoint = HybridSpike.Core.Reference.FixedPointSimulator.Create(d.FixedPoint()).Run(inputs, 4, 20, null);
        var golden = HybridSpike.Core.Reference.GoldenSimulator.Create(d.Network).Run(inputs, 4, 20, null);
        Assert.Equal(golden.Outputs.Values.ToArray(), fixedPoint.Outputs.Values.ToArray());
    }

    [Fact]
    public void A_sparse_synapse_listed_twice_is_refused_by_name()
    {
        var e = Assert.Throws<CompileException>(() => Discretize.Run(Split.Run(SparseNet([4, 4], [1, 1], [0.5, 0.25]), Test)));
        Assert.Contains("synapse (target 4, source 1) is listed twice", e.Message);
    }
}
