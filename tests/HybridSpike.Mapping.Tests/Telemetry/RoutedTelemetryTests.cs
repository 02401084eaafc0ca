using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Mapping.Tests.Routing;

namespace HybridSpike.Mapping.Tests.Telemetry;

/// <summary>
/// Telemetry counts what the router decided: on one source at (0,0) sending 5 then 3 packets a step to
/// each of two cores at (3,1) and (3,2) on the next chip, unicast crosses E E E S and E E E S S (one
/// copy each), multicast the tree E E E S S once.
/// </summary>
public class RoutedTelemetryTests
{
    /// <summary>Puts piece i on the core at whole-mesh coordinates <paramref name="at"/>[i]: a placement that only a context-taking strategy can express.</summary>
    private sealed class AtCoordinates(params (int X, int Y)[] at) : IPlacementStrategy
    {
        public string Name => "at";

        public PlacedNetwork Place(PlacementContext context)
        {
            var layout = context.Split.Profile.Layout;
            var cores = Enumerable.Range(0, layout.Cores).Select(i => SequentialPlacement.Address(layout, i)).ToList();
            return new PlacedNetwork(context.Split, [.. context.Split.Pieces.Select((p, i) => new Placement(p, cores.Single(a => (a.X, a.Y) == at[i])))]);
        }
    }

    private static MeshTelemetry Run(bool multicast)
    {
        var c = new RoutingCase([16, 32], [(0, 1, 0)], 0);
        var mesh = Compiler.Compile(c.Network(), RoutingCase.Profile(multicast), new AtCoordinates((0, 0), (3, 1), (3, 2)));
        Assert.Equal([1, 2], mesh.Router.Resolve(0).Destinations.ToArray());
        ImmutableArray<long> Zeros() => [0, 0];
        ImmutableArray<long> sent = [5, 3];
        var to = ImmutableDictionary<int, ImmutableArray<long>>.Empty.Add(1, sent).Add(2, sent);
        var cores = Enumerable.Range(0, 3).Select(k => new CoreTraffic(k, Zeros(), Zeros(), Zeros(), k == 0 ? Zeros() : sent,
            k == 0 ? to : ImmutableDictionary<int, ImmutableArray<long>>.Empty, k == 0 ? to : ImmutableDictionary<int, ImmutableArray<long>>.Empty));
        return MeshTelemetry.From(mesh, 1, 2, cores);
    }

    private static (string, long, bool)[] Loads(MeshTelemetry t) =>
        [.. t.Links.OrderBy(l => l.FromX).ThenBy(l => l.FromY).Select(l => ($"({l.FromX},{l.FromY}){l.Direction}", l.Packets, l.CrossesChips))];

    [Fact]
    public void Unicast_telemetry_counts_a_link_once_per_destination_copy_that_crosses_it()
    {
        var t = Run(multicast: false);
        Assert.Equal([("(0,0)E", 16L, false), ("(1,0)E", 16L, false), ("(2,0)E", 16L, true), ("(3,0)S", 16L, false), ("(3,1)S", 8L, false)], Loads(t));
        Assert.Equal([(30L, 15L), (18L, 9L)], t.PerStep.Select(s => (s.HopsEastWest, s.HopsNorthSouth)));
    }

    [Fact]
    public void Multicast_telemetry_counts_each_link_of_the_tree_once_per_packet()
    {
        var t = Run(multicast: true);
        Assert.Equal([("(0,0)E", 8L, false), ("(1,0)E", 8L, false), ("(2,0)E", 8L, true), ("(3,0)S", 8L, false), ("(3,1)S", 8L, false)], Loads(t));
        Assert.Equal([(15L, 10L), (9L, 6L)], t.PerStep.Select(s => (s.HopsEastWest, s.HopsNorthSouth)));
    }

    [Fact]
    public void Packets_hops_and_chip_crossings_are_counted_per_delivery_in_either_mode()
    {
        foreach (var t in new[] { Run(false), Run(true) })
        {
            Assert.Equal(16, t.Packets);
            Assert.Equal(new Dictionary<int, long> { [4] = 8, [5] = 8 }, t.HopHistogram);
            Assert.Equal((0L, 16L), (t.IntraChipPackets, t.InterChipPackets));
        }
    }

    [Fact]
    public void Multicast_spends_less_hop_energy_than_unicast_on_shared_links()
    {
        var (unicast, multicast) = (Run(false), Run(true));
        Assert.True(multicast.Energy.HopsJoules < unicast.Energy.HopsJoules);
        Assert.Equal(unicast.Energy.SpikesInTileJoules, multicast.Energy.SpikesInTileJoules);
    }
}
