using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>
/// SpiNNaker's routing: a packet carries only its key, and every chip's router looks the key up in
/// its own table (<see cref="TableImage.RouteAt"/>, the lookup the cores also make at run time) and copies the packet onto the links and to the
/// cores the first matching entry names; a key that matches nothing leaves by the link opposite the
/// one it came in on (default routing). <see cref="Walk"/> follows one key from its source's chip
/// through the tables as the routers would, chip by chip, breadth first: where it is delivered, over
/// which links, with which copies. Every decision this router gives (<see cref="Resolve"/>) is such a
/// walk over the compressed tables, never the trees they were built from, and each is checked at
/// construction against the cores that need the source's packets: a missed or extra core, a loop, or a
/// key with nowhere to go at its own chip is a <see cref="CompileException"/> naming the chip and core.
/// </summary>
public sealed class TableRouter : IRouter
{
    public const string AlgorithmName = "table";

    private readonly Dictionary<(Node Chip, int OnChip), int> _coreAt;
    private readonly ImmutableArray<RouteDecision> _decisions;

    public TableRouter(RoutingTables tables, PlacedNetwork placed)
    {
        Tables = tables;
        Placed = placed;
        var torus = tables.Torus;
        _image = TableImage.Of(tables);
        var coresX = placed.Split.Profile.Layout.CoresX;
        _coreAt = [];
        for (int k = 0; k < placed.Placements.Length; k++)
        {
            var c = placed.Placements[k].Core;
            if (!torus.Contains(torus.NodeOf(c)))
                throw new CompileException($"route: core {k} on chip ({c.ChipX},{c.ChipY}) is outside the {torus.Width}x{torus.Height} torus");
            _coreAt[(torus.NodeOf(c), RoutingTables.OnChip(c, coresX))] = k;
        }
        var sets = Routers.DeliverySets(placed);
        _decisions = [.. sets.Select((expected, s) =>
        {
            if (expected.IsEmpty) return RouteDecision.MulticastTree(s, []);
            var decision = Walk(s, tables.Keys.Of(s).Match.Key);
            Check(s, expected, decision);
            return decision;
        })];
    }

    public string Name => AlgorithmName;

    public ITopology Topology => Tables.Torus;

    public PlacedNetwork Placed { get; }

    /// <summary>Always: a router copies a packet where its branches part.</summary>
    public bool Multicast => true;

    /// <summary>The keys, trees and tables the decisions were walked through.</summary>
    public RoutingTables Tables { get; }

    public RouteDecision Resolve(int sourceCore) =>
        sourceCore >= 0 && sourceCore < _decisions.Length ? _decisions[sourceCore]
        : throw new ArgumentOutOfRangeException(nameof(sourceCore), sourceCore, $"the placed network has cores 0..{_decisions.Length - 1}");

    /// <summary>The compressed tables as the cores look packets up in them at run time (built once, shared).</summary>
    public TableImage Image => _image;

    private readonly TableImage _image;

    /// <summary>
    /// What core <paramref name="source"/> needs to route its packets by lookup at run time: its key, its
    /// chip and, per destination in <see cref="RouteDecision.Destinations"/> order, where that core sits;
    /// null for a core that sends nothing.
    /// </summary>
    public PacketLookup? LookupFor(int source)
    {
        var destinations = Resolve(source).Destinations;
        if (destinations.IsEmpty) return null;
        var torus = Tables.Torus;
        int Id(CoreAddress c) => c.ChipY * torus.Width + c.ChipX;
        var coresX = Placed.Split.Profile.Layout.CoresX;
        return new PacketLookup(Image, Tables.Keys.Of(source).Match.Key, Id(Placed.Placements[source].Core),
            [.. destinations.Select(d => Id(Placed.Placements[d].Core))], [.. destinations.Select(d => RoutingTables.OnChip(Placed.Placements[d].Core, coresX))]);
    }

    /// <summary>
    /// Follows the packet with key <paramref name="key"/>, injected by core <paramref name="source"/>,
    /// through the compressed tables: the cores it reaches, in placement order, each with the links it
    /// crossed to get there. A chip reached twice is a loop; a packet that matches no entry at its own
    /// chip, or is delivered to a core that holds no piece, cannot be routed.
    /// </summary>
    public RouteDecision Walk(int source, uint key)
    {
        var torus = Tables.Torus;
        var root = torus.NodeOf(Placed.Placements[source].Core);
        var visited = new HashSet<Node>();
        var deliveries = new List<Delivery>();
        var queue = new Queue<(Node Chip, int? Arrival, ImmutableArray<Link> Path)>();
        queue.Enqueue((root, null, []));
        while (queue.Count > 0)
        {
            var (chip, arrival, path) = queue.Dequeue();
            if (!visited.Add(chip))
                throw new CompileException($"route: chip ({chip.X},{chip.Y}): the packets of core {source} (key 0x{key:X8}) arrive a second time: the tables loop");
            // The same lookup the cores make at run time (TableImage.RouteAt), on the same arrays.
            var hop = _image.RouteAt(chip.Y * torus.Width + chip.X, key, arrival ?? -1)
                ?? throw new CompileException($"route: chip ({chip.X},{chip.Y}): key 0x{key:X8} of core {source} matches no entry at its own chip, so it has nowhere to go");
            foreach (var onChip in hop.Entry >= 0 ? _image.CoresOf(hop.Entry).Cores : [])
            {
                int core = _coreAt.TryGetValue((chip, onChip), out var k) ? k
                    : throw new CompileException($"route: chip ({chip.X},{chip.Y}) delivers key 0x{key:X8} of core {source} to its core {onChip}, which holds no piece");
                deliveries.Add(new Delivery(core, path, chip != root));
            }
            for (int link = 0; link < ChipRoute.LinkCount; link++)
                if ((hop.Links & (1 << link)) != 0)
                    queue.Enqueue((torus.Neighbour(chip, link), TriangularTorus.Opposite(link), path.Add(torus.LinkOf(chip, link))));
        }
        return RouteDecision.MulticastTree(source, [.. deliveries.OrderBy(d => d.Core)]);
    }

    /// <summary>
    /// PACMAN's delivery check (valid_routes_checker.py) over every unit: each key of each sending core,
    /// followed through the compressed tables from its chip, must reach exactly the cores that take the
    /// core's packets, with no loop. Returns each failure in words (empty when every key is delivered exactly).
    /// </summary>
    public ImmutableArray<string> VerifyEveryKey()
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var sets = Routers.DeliverySets(Placed);
        for (int s = 0; s < sets.Length; s++)
        {
            if (sets[s].IsEmpty) continue;
            var key = Tables.Keys.Of(s);
            for (int u = 0; u < Placed.Placements[s].Piece.Count; u++)
            {
                try { Check(s, sets[s], Walk(s, key.KeyOf(u))); }
                catch (CompileException e) { problems.Add($"unit {u} (key 0x{key.KeyOf(u):X8}): {e.Message}"); }
            }
        }
        return problems.ToImmutable();
    }

    private static void Check(int source, ImmutableArray<int> expected, RouteDecision decision)
    {
        var got = decision.Destinations;
        if (got.Except(expected).FirstOrDefault(-1) is var extra and >= 0)
            throw new CompileException($"route: the tables deliver core {source}'s packets to core {extra}, which does not take them");
        if (expected.Except(got).FirstOrDefault(-1) is var missed and >= 0)
            throw new CompileException($"route: the tables never deliver core {source}'s packets to core {missed}, which takes them");
    }
}
