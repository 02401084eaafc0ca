using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing;

/// <summary>A link between two neighbouring nodes of the interconnect (<see cref="ITopology"/>), in one direction.</summary>
public sealed record Link(int FromX, int FromY, int ToX, int ToY)
{
    public Link(Node from, Node to) : this(from.X, from.Y, to.X, to.Y) { }

    public Node From => new(FromX, FromY);
    public Node To => new(ToX, ToY);
    public bool IsEastWest => FromY == ToY;
    /// <summary>"E", "W", "N" or "S" on a 2D mesh (north is towards y − 1); a topology names its links with <see cref="ITopology.Direction"/>.</summary>
    public string Direction => ToX > FromX ? "E" : ToX < FromX ? "W" : ToY > FromY ? "S" : "N";
}

/// <summary>The path of the packets from one core to another, and whether it leaves the chip.</summary>
public sealed record Route(CoreAddress From, CoreAddress To, ImmutableArray<Link> Links, bool CrossesChips)
{
    public int Hops => Links.Length;
}

/// <summary>
/// The router's decisions seen per (source core, target core) pair that a connection joins, one route
/// each, in connection order (then source piece, then target piece), as <c>hybridspike compile</c>
/// lists them. The network input is not routed on the mesh.
/// </summary>
public sealed record RoutedNetwork(PlacedNetwork Placed, ImmutableArray<Route> Routes)
{
    /// <summary>Each pair's route is its target's path in the source's <see cref="RouteDecision"/> (for multicast: the tree's branch to it).</summary>
    public static RoutedNetwork Of(IRouter router)
    {
        var placed = router.Placed;
        var placements = placed.Placements;
        var net = placed.Split.Network;
        var routes = ImmutableArray.CreateBuilder<Route>();
        var seen = new HashSet<(int, int)>();
        var byPopulation = Enumerable.Range(0, placements.Length).ToLookup(k => placements[k].Piece.Population);
        foreach (var c in net.Connections.Where(c => c.Source != Core.Network.NetworkDescription.InputName))
            foreach (var from in byPopulation[c.Source])
            {
                var decision = router.Resolve(from);
                foreach (var to in byPopulation[c.Target])
                    if (seen.Add((from, to)))
                    {
                        var d = decision.To(to) ?? throw new InvalidOperationException(
                            $"router '{router.Name}': core {from} does not deliver to core {to}, which connection {c.Source} -> {c.Target} joins");
                        routes.Add(new Route(placements[from].Core, placements[to].Core, d.Path, d.CrossesChips));
                    }
            }
        return new RoutedNetwork(placed, routes.ToImmutable());
    }
}
