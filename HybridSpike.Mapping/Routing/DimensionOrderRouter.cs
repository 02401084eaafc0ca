using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing;

/// <summary>
/// Dimension-order (X then Y) routing on the 2D mesh, as on Loihi: along x to the destination's
/// column, then along y. Chips continue the mesh, so a path crosses chip borders like any other link.
/// Unicast (Loihi in this model) sends one copy per destination; multicast sends one copy along the
/// union of the X-then-Y paths, which is a tree: the X-then-Y path to any node on the path to d is a
/// prefix of it. Every decision is made at construction; a pure function of topology and placement.
/// </summary>
public sealed class DimensionOrderRouter : IRouter
{
    public const string AlgorithmName = "xy";

    private readonly ImmutableArray<RouteDecision> _decisions;

    public DimensionOrderRouter(Mesh2D topology, PlacedNetwork placed, bool multicast)
    {
        Topology = topology;
        Placed = placed;
        Multicast = multicast;
        var placements = placed.Placements;
        foreach (var p in placements)
            if (!topology.Contains(topology.NodeOf(p.Core)))
                throw new CompileException($"route: core {p.Core.Index} at ({p.Core.X},{p.Core.Y}) is outside the {topology.Layout.Width}x{topology.Layout.Height} mesh");
        _decisions = [.. Routers.DeliverySets(placed).Select((destinations, source) =>
        {
            var from = placements[source].Core;
            var deliveries = destinations.Select(d => new Delivery(d, Path(topology.NodeOf(from), topology.NodeOf(placements[d].Core)),
                Routers.CrossesChips(from, placements[d].Core))).ToImmutableArray();
            return multicast ? RouteDecision.MulticastTree(source, deliveries) : RouteDecision.Unicast(source, deliveries);
        })];
    }

    public string Name => AlgorithmName;

    public ITopology Topology { get; }

    public PlacedNetwork Placed { get; }

    public bool Multicast { get; }

    public RouteDecision Resolve(int sourceCore) =>
        sourceCore >= 0 && sourceCore < _decisions.Length ? _decisions[sourceCore]
        : throw new ArgumentOutOfRangeException(nameof(sourceCore), sourceCore, $"the placed network has cores 0..{_decisions.Length - 1}");

    /// <summary>The X-then-Y path between two nodes (empty for the same node).</summary>
    public static ImmutableArray<Link> Path(Node from, Node to)
    {
        var links = ImmutableArray.CreateBuilder<Link>(Math.Abs(to.X - from.X) + Math.Abs(to.Y - from.Y));
        int x = from.X, y = from.Y;
        while (x != to.X) { int nx = x + Math.Sign(to.X - x); links.Add(new Link(x, y, nx, y)); x = nx; }
        while (y != to.Y) { int ny = y + Math.Sign(to.Y - y); links.Add(new Link(x, y, x, ny)); y = ny; }
        return links.MoveToImmutable();
    }
}
