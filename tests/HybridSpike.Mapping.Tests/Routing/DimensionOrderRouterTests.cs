using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Tests.Routing;

/// <summary>
/// PACMAN-style route checks on random small networks at random placements: every source core's
/// decision is followed link by link from the source's node, in unicast and multicast, against the
/// topology and the connection graph; and the dimension-order and multicast-tree shapes.
/// </summary>
public class DimensionOrderRouterTests
{
    private static IEnumerable<(IRouter Router, RouteDecision Decision)> Decisions(RoutingCase c, params bool[] multicast) =>
        multicast.Select(c.Router).SelectMany(r => Enumerable.Range(0, r.Placed.Placements.Length).Select(k => (r, r.Resolve(k))));

    private static Node NodeOf(IRouter r, int core) => r.Topology.NodeOf(r.Placed.Placements[core].Core);

    /// <summary>
    /// Follows the links a copy heading to delivery <paramref name="i"/> crosses, from the source's node:
    /// the node sequence if they form one simple path that uses each of them once, else null.
    /// </summary>
    private static List<Node>? Follow(IRouter r, RouteDecision d, int i)
    {
        var links = d.Links.Where(u => u.Towards.Contains(i)).Select(u => u.Link).ToList();
        var at = NodeOf(r, d.Source);
        var visited = new List<Node> { at };
        while (links.Count > 0)
        {
            var next = links.Where(l => l.From == at).ToList();
            if (next.Count != 1) return null;
            links.Remove(next[0]);
            at = next[0].To;
            if (visited.Contains(at)) return null; // a cycle
            visited.Add(at);
        }
        return visited;
    }

    [Property(MaxTest = 100)]
    public Property Every_link_a_packet_crosses_joins_two_neighbouring_nodes_of_the_topology() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x =>
            x.Decision.Links.All(u => x.Router.Topology.AreNeighbours(u.Link.From, u.Link.To))
            && x.Decision.Deliveries.All(d => d.Path.All(l => x.Router.Topology.AreNeighbours(l.From, l.To)))));

    [Property(MaxTest = 100)]
    public Property The_delivery_set_is_every_core_the_connection_graph_joins_the_source_to_in_placement_order() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x =>
        {
            var placements = x.Router.Placed.Placements;
            var net = x.Router.Placed.Split.Network;
            var source = placements[x.Decision.Source].Piece.Population;
            var expected = Enumerable.Range(0, placements.Length)
                .Where(k => net.Connections.Any(conn => conn.Source == source && conn.Target == placements[k].Piece.Population));
            return x.Decision.Destinations.SequenceEqual(expected);
        }));

    [Property(MaxTest = 100)]
    public Property Following_the_links_from_the_source_reaches_every_destination_along_one_simple_path() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x =>
            Enumerable.Range(0, x.Decision.Deliveries.Length).All(i =>
                Follow(x.Router, x.Decision, i) is { } nodes
                && nodes[^1] == NodeOf(x.Router, x.Decision.Deliveries[i].Core)
                && nodes.Count - 1 == x.Decision.Deliveries[i].Hops)));

    [Property(MaxTest = 100)]
    public Property Every_link_a_packet_crosses_heads_to_at_least_one_destination() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x =>
            x.Decision.Links.All(u => u.Towards.Length > 0 && u.Towards.All(i => x.Decision.Deliveries[i].Path.Contains(u.Link)))));

    [Property(MaxTest = 100)]
    public Property A_delivery_crosses_chips_exactly_when_source_and_destination_are_on_different_chips() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x => x.Decision.Deliveries.All(d =>
        {
            var (from, to) = (x.Router.Placed.Placements[x.Decision.Source].Core, x.Router.Placed.Placements[d.Core].Core);
            return d.CrossesChips == (from.ChipX != to.ChipX || from.ChipY != to.ChipY);
        })));

    [Property(MaxTest = 100)]
    public Property Dimension_order_paths_go_all_the_way_along_x_then_along_y_one_hop_per_step_of_distance() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false, true).All(x => x.Decision.Deliveries.All(d =>
        {
            var (from, to) = (NodeOf(x.Router, x.Decision.Source), NodeOf(x.Router, d.Core));
            int dx = to.X - from.X, dy = to.Y - from.Y;
            var expected = Enumerable.Repeat(dx > 0 ? "E" : "W", Math.Abs(dx)).Concat(Enumerable.Repeat(dy > 0 ? "S" : "N", Math.Abs(dy)));
            return d.Hops == Math.Abs(dx) + Math.Abs(dy) && d.Path.Select(x.Router.Topology.Direction).SequenceEqual(expected);
        })));

    [Property(MaxTest = 100)]
    public Property Unicast_sends_one_copy_per_destination_so_a_packet_crosses_the_sum_of_the_path_lengths() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, false).All(x =>
            !x.Decision.Multicast
            && x.Decision.Links.Length == x.Decision.Deliveries.Sum(d => d.Hops)
            && x.Decision.Links.All(u => u.Towards.Length == 1)));

    [Property(MaxTest = 100)]
    public Property A_multicast_packet_crosses_each_link_of_its_tree_once() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, true).All(x =>
            x.Decision.Multicast && x.Decision.Links.Select(u => u.Link).Distinct().Count() == x.Decision.Links.Length));

    [Property(MaxTest = 100)]
    public Property A_multicast_tree_enters_every_node_at_most_once_and_never_the_source() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => Decisions(c, true).All(x =>
        {
            var entered = x.Decision.Links.Select(u => u.Link.To).ToList();
            return entered.Distinct().Count() == entered.Count && !entered.Contains(NodeOf(x.Router, x.Decision.Source));
        }));

    [Property(MaxTest = 100)]
    public Property A_multicast_tree_has_at_most_the_unicast_links_and_at_least_the_farthest_destinations_hops() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var unicast = c.Router(false);
            var multicast = c.Router(true);
            return Enumerable.Range(0, unicast.Placed.Placements.Length).All(k =>
            {
                var (u, m) = (unicast.Resolve(k), multicast.Resolve(k));
                int farthest = u.Deliveries.Select(d => d.Hops).DefaultIfEmpty(0).Max();
                return m.Links.Length <= u.Links.Length && m.Links.Length >= farthest
                    && m.Deliveries.Select(d => d.Hops).SequenceEqual(u.Deliveries.Select(d => d.Hops));
            });
        });

    [Property(MaxTest = 60)]
    public Property The_per_pair_routes_are_the_decisions_paths_one_per_connected_pair() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var r = c.Router(false);
            var routed = RoutedNetwork.Of(r);
            var placements = r.Placed.Placements;
            int Place(CoreAddress a) => placements.Select(p => p.Core).ToList().IndexOf(a);
            var pairs = Enumerable.Range(0, placements.Length).SelectMany(k => r.Resolve(k).Destinations.Select(d => (k, d)));
            return routed.Routes.Select(x => (Place(x.From), Place(x.To))).Order().SequenceEqual(pairs.Order())
                && routed.Routes.All(x => r.Resolve(Place(x.From)).To(Place(x.To)) is { } d && d.Path.SequenceEqual(x.Links) && d.CrossesChips == x.CrossesChips);
        });

    [Fact]
    public void A_core_outside_the_placed_network_is_refused_naming_the_source_core()
    {
        var r = new RoutingCase([20], [(0, 0, 1)], 3).Router(false);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => r.Resolve(r.Placed.Placements.Length));
        Assert.Equal("sourceCore", e.ParamName);
    }

    [Fact]
    public void A_recurrence_on_one_core_delivers_to_the_core_itself_over_no_link()
    {
        var r = new RoutingCase([5], [(0, 0, 1)], 3).Router(false);
        var d = Assert.Single(r.Resolve(0).Deliveries);
        Assert.Equal((0, 0, false), (d.Core, d.Hops, d.CrossesChips));
        Assert.Empty(r.Resolve(0).Links);
    }

    [Fact]
    public void Two_destinations_in_one_column_share_the_multicast_trunk_but_not_the_unicast_copies()
    {
        // Source at (0,0); destinations at (2,1) and (2,2): unicast E E S + E E S S = 7 traversals, multicast E E S S = 4.
        var profile = RoutingCase.Profile(multicast: false);
        var placed = new RoutingCase([16, 32], [(0, 1, 0)], 0).Placed(profile);
        var layout = profile.Layout;
        var at = new Dictionary<int, (int X, int Y)> { [0] = (0, 0), [1] = (2, 1), [2] = (2, 2) };
        var moved = placed with
        {
            Placements = [.. placed.Placements.Select((p, k) => p with { Core = Address(layout, at[k].X, at[k].Y) })],
        };
        var unicast = new DimensionOrderRouter(new Mesh2D(layout), moved, multicast: false).Resolve(0);
        var multicast = new DimensionOrderRouter(new Mesh2D(layout), moved, multicast: true).Resolve(0);
        Assert.Equal([1, 2], unicast.Destinations.ToArray());
        Assert.Equal(7, unicast.Links.Length);
        Assert.Equal(["E", "E", "S", "S"], multicast.Links.Select(u => u.Link.Direction));
        Assert.Equal(["0,1", "0,1", "0,1", "1"], multicast.Links.Select(u => string.Join(",", u.Towards)));
        Assert.Equal([3, 4], multicast.Deliveries.Select(d => d.Hops));
    }

    /// <summary>The sequential address of the core at whole-mesh coordinates (x, y).</summary>
    private static CoreAddress Address(HybridSpike.Mapping.Profiles.MeshLayout layout, int x, int y) =>
        Enumerable.Range(0, layout.Cores).Select(i => SequentialPlacement.Address(layout, i)).Single(a => a.X == x && a.Y == y);

    [Fact]
    public void An_unknown_routing_algorithm_is_refused_naming_the_field()
    {
        var profile = RoutingCase.Profile(false);
        var bad = profile with { Routing = profile.Routing with { Algorithm = "yx" } };
        var e = Assert.Throws<ArgumentException>(() => Routers.For(bad, Topologies.For(bad), new RoutingCase([4], [], 0).Placed(profile)));
        Assert.Contains("routing.algorithm: unknown 'yx'", e.Message);
    }

    [Fact]
    public void A_profile_without_the_multicast_flag_cannot_build_a_router()
    {
        var profile = RoutingCase.Profile(false);
        var bad = profile with { Routing = profile.Routing with { Multicast = null } };
        var e = Assert.Throws<ArgumentException>(() => Routers.For(bad, Topologies.For(bad), new RoutingCase([4], [], 0).Placed(profile)));
        Assert.Contains("routing.multicast", e.Message);
    }

    [Fact]
    public void A_compiled_mesh_routes_with_its_profiles_topology_and_multicast_flag()
    {
        var c = new RoutingCase([20, 8], [(0, 1, 2)], 0);
        foreach (var multicast in new[] { false, true })
        {
            var mesh = Compiler.Compile(c.Network(), RoutingCase.Profile(multicast), new RandomPlacement(4));
            Assert.Equal((Mesh2D.TopologyName, "xy", multicast), (mesh.Topology.Name, mesh.Router.Name, mesh.Router.Multicast));
            Assert.Same(mesh.Routed.Placed, mesh.Router.Placed);
        }
    }
}
