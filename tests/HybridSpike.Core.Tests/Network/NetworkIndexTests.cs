using System.Collections.Immutable;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Network;

public class NetworkIndexTests
{
    private static SparseWeights Diagonal(int n, double w) =>
        new(n, n, [.. Enumerable.Range(0, n)], [.. Enumerable.Range(0, n)], [.. Enumerable.Repeat(w, n)]);

    private static Population Pop(string name) => new(name, 3, Activation.Tanh, 4.0, [], InitialStateMode.Zeros, 0);

    /// <summary>a ← input, b ← a, a ← b (a step late), b ← input: two connections into each population, interleaved.</summary>
    private static NetworkDescription Net() => new(
        [Pop("a"), Pop("b")],
        [
            new Connection(NetworkDescription.InputName, "a", Diagonal(3, 0.5), Delay.SameStep),
            new Connection("a", "b", Diagonal(3, 0.25), Delay.SameStep),
            new Connection("b", "a", Diagonal(3, -0.25), Delay.OneStep),
            new Connection(NetworkDescription.InputName, "b", Diagonal(3, 0.75), Delay.SameStep),
        ],
        new InputMapping(3, "test"), new OutputMapping("b", OutputMapping.LastStep));

    /// <summary>The network with diagonal mantissas and one exponent per connection (−1, −2, −3, −4), so each connection's rows are told apart.</summary>
    private static FixedPointNetwork Fixed()
    {
        var net = Net();
        return new FixedPointNetwork(net, [.. Enumerable.Range(0, 4).Select(c =>
            new FixedPointWeights(3, 3, [.. Enumerable.Range(0, 9).Select(i => i % 4 == 0 ? c + 1 : 0)], [.. Enumerable.Repeat(-1 - c, 3)]))]);
    }

    [Fact]
    public void The_connections_into_a_population_are_its_own_in_network_order()
    {
        var index = new NetworkIndex(Net());
        Assert.Equal([0, 2], index.ConnectionsInto(0).ToArray());
        Assert.Equal([1, 3], index.ConnectionsInto(1).ToArray());
    }

    [Fact]
    public void The_input_is_source_minus_one_and_a_population_its_index()
    {
        var net = Net();
        var index = new NetworkIndex(net);
        Assert.Equal(-1, index.SourceIndex(net.Connections[0]));
        Assert.Equal(1, index.SourceIndex(net.Connections[2]));
    }

    [Fact]
    public void An_unknown_population_is_named()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new NetworkIndex(Net()).PopulationIndex("c"));
        Assert.Contains("'c'", e.Message);
    }

    [Fact]
    public void A_plan_made_with_a_shared_index_is_the_plan_made_alone()
    {
        var fixedNet = Fixed();
        var shared = CorePlan.ForPiece(fixedNet, new NetworkIndex(fixedNet.Network), 0, 1, 2, false);
        var alone = CorePlan.ForPiece(fixedNet, 0, 1, 2, false);
        Assert.Equal(alone.Incoming.Select(c => (c.Source, c.OneStep)), shared.Incoming.Select(c => (c.Source, c.OneStep)));
        Assert.Equal([-1, -1, -3, -3], shared.Incoming.SelectMany(c => c.RowExponents).ToArray());
        Assert.Equal(alone.Incoming.SelectMany(c => c.RowExponents).ToArray(), shared.Incoming.SelectMany(c => c.RowExponents).ToArray());
    }

    [Fact]
    public void A_plan_refuses_the_index_of_another_network()
    {
        var fixedNet = Fixed();
        var e = Assert.Throws<ArgumentException>(() => CorePlan.ForPiece(fixedNet, new NetworkIndex(Net()), 0, 0, 3, false));
        Assert.Contains("another network", e.Message);
    }
}
