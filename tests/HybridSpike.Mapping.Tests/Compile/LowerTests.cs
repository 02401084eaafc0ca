using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Mapping.Tests.Compile;

public class LowerTests
{
    private static NetworkDescription Memory(Func<int, int, double> recurrent) => new(
        [new Population("m", 6, Activation.Linear, 16, [], InitialStateMode.Uniform, 3), new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
        [new Connection("input", "m", new DenseWeights(Matrix.Create(6, 1, (i, _) => 0.1 * (i + 1))), Delay.SameStep),
         new Connection("m", "m", new DenseWeights(Matrix.Create(6, 6, recurrent)), Delay.OneStep),
         new Connection("m", "out", new DenseWeights(Matrix.Create(2, 6, (i, j) => i == j % 2 ? 1 : 0)), Delay.SameStep)],
        new InputMapping(1, "t"), new OutputMapping("out", OutputMapping.LastStep));

    [Fact]
    public void An_LMU_memory_recurrence_becomes_identity_plus_the_rest_and_computes_the_same()
    {
        var lmu = Legendre.Discretize(6, 20, Discretization.ZeroOrderHold).A;
        var net = Memory((i, j) => lmu[i, j]);
        var lowered = Lower.SplitIdentity(net);
        var self = lowered.Connections.Where(c => c.Source == "m" && c.Target == "m").ToList();
        Assert.Equal(2, self.Count);
        Assert.Equal(Matrix.Identity(6).ToArray(), ((DenseWeights)self[0].Weights).Matrix.ToArray());
        var inputs = Enumerable.Range(0, 40).Select(t => (t % 5) / 5.0).ToArray();
        var a = GoldenSimulator.Create(net).Run(inputs, 1, 40);
        var b = GoldenSimulator.Create(lowered).Run(inputs, 1, 40);
        for (int i = 0; i < 2; i++) Assert.Equal(a.Outputs[0, i], b.Outputs[0, i], 9);
    }

    [Fact]
    public void A_recurrence_that_is_not_near_identity_is_left_alone()
    {
        var net = Memory((i, j) => i == j ? 0.1 : 0.05);
        Assert.Equal(net.Connections.Length, Lower.SplitIdentity(net).Connections.Length);
    }

    [Fact]
    public void Row_exponents_give_every_target_unit_its_own_scale()
    {
        var net = Memory((i, j) => i == j ? 0.01 * (i + 1) : 0);
        var d = Discretize.Run(Split.Run(net, HybridSpike.Mapping.Profiles.Profiles.Get("loihi")), ExponentBlock.Row);
        var rows = d.Blocks.Where(b => b.Connection == 1).ToList();
        Assert.Equal(6, rows.Count);
        Assert.Equal(rows.Select(r => FixedPoint.BlockExponent([0.01 * (r.TargetStart + 1)], 9)), rows.Select(r => r.Exponent));
    }
}
