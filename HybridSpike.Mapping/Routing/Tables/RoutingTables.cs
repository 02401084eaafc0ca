using System.Collections.Immutable;
using System.Globalization;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>Per chip: its table's entries as built, without the default-routable ones, and after the compressor.</summary>
public sealed record TableSize(Node Chip, int Built, int WithoutDefaultRoutes, int Compressed);

/// <summary>
/// Every routing table of a placed network on a SpiNNaker-style machine, built as PACMAN builds them:
/// keys by fields (<see cref="KeyAllocation"/>), one multicast tree per sending core
/// (<see cref="MulticastTree"/>), one entry per (chip, source) whose tree passes the chip
/// (<see cref="ChipTable"/>), default-routable entries left out, then the compressor; a table that
/// still has more entries than the router holds is a <see cref="CompileException"/> naming the chip.
/// </summary>
/// <param name="Built">Per chip with at least one entry, in node order: the table as the trees made it (the reference for checks).</param>
/// <param name="Compressed">The same chips' tables as the routers hold them (default routes left out, compressed).</param>
public sealed record RoutingTables(
    TriangularTorus Torus,
    KeyAllocation Keys,
    ImmutableArray<MulticastTree> Trees,
    ImmutableArray<ChipTable> Built,
    ImmutableArray<RoutingTable> Compressed,
    string Compressor,
    int EntryLimit)
{
    public ImmutableArray<TableSize> Sizes =>
        [.. Built.Zip(Compressed, (b, c) => new TableSize(b.Chip, b.Sources.Length, b.Sources.Length - b.DefaultRoutable, c.Count))];

    /// <summary>The totals over all chips, and the fullest chip after compression.</summary>
    public TableSummary Summary
    {
        get
        {
            var sizes = Sizes;
            var fullest = sizes.OrderByDescending(s => s.Compressed).FirstOrDefault();
            return new TableSummary(Compressor, EntryLimit, sizes.Length, Trees.Length, sizes.Sum(s => (long)s.Built), sizes.Sum(s => (long)s.WithoutDefaultRoutes),
                sizes.Sum(s => (long)s.Compressed), fullest?.Compressed ?? 0, fullest?.Chip);
        }
    }

    /// <param name="entryLimit">Entries a chip's router holds (the profile's <c>routing.tableEntries</c>).</param>
    public static RoutingTables Build(TriangularTorus torus, PlacedNetwork placed, IRoutingTableCompressor compressor, int entryLimit)
    {
        var keys = KeyAllocation.Allocate(placed);
        var placements = placed.Placements;
        var coresPerX = placed.Split.Profile.Layout.CoresX;
        var sets = Routers.DeliverySets(placed);
        var trees = ImmutableArray.CreateBuilder<MulticastTree>();
        var perChip = new Dictionary<Node, List<SourceRoute>>();
        for (int s = 0; s < placements.Length; s++)
        {
            if (sets[s].IsEmpty) continue;
            var key = keys.Keys[s] ?? throw new InvalidOperationException($"core {s} has destinations but no key");
            var destinations = new Dictionary<Node, CoreSet>();
            foreach (var d in sets[s])
            {
                var chip = torus.NodeOf(placements[d].Core);
                destinations[chip] = destinations.GetValueOrDefault(chip).With(OnChip(placements[d].Core, coresPerX));
            }
            var tree = MulticastTree.Build(torus, s, torus.NodeOf(placements[s].Core), destinations);
            trees.Add(tree);
            foreach (var n in tree.Nodes)
            {
                if (!perChip.TryGetValue(n.Chip, out var list)) perChip[n.Chip] = list = [];
                list.Add(new SourceRoute(s, key.Match, n.Arrival, n.Route));
            }
        }
        var built = torus.Nodes.Where(perChip.ContainsKey)
            .Select(n => new ChipTable(n, [.. perChip[n].OrderBy(r => r.Match.Key)])).ToImmutableArray();
        var compressed = built.Select(b =>
        {
            var table = compressor.Compress(b.WithoutDefaultRoutes, entryLimit);
            if (table.Count > entryLimit)
                throw new CompileException(string.Create(CultureInfo.InvariantCulture,
                    $"chip ({b.Chip.X},{b.Chip.Y}): {table.Count:N0} entries after compression ({compressor.Name}), limit {entryLimit:N0}"));
            return table;
        }).ToImmutableArray();
        return new RoutingTables(torus, keys, trees.ToImmutable(), built, compressed, compressor.Name, entryLimit);
    }

    /// <summary>A core's number on its chip, as the routing entries' core bits count them: row-major over the chip's cores.</summary>
    public static int OnChip(CoreAddress core, int coresX) => core.CoreY * coresX + core.CoreX;
}

/// <summary>A network's routing tables in numbers: as built, without default routes, compressed, and the fullest chip against the limit.</summary>
/// <param name="Chips">Chips with at least one source's packets passing.</param>
/// <param name="Sources">Sending cores (one key and one tree each).</param>
/// <param name="FullestChip">The chip with the most entries after compression (null when no chip has a table).</param>
public sealed record TableSummary(string Compressor, int EntryLimit, int Chips, int Sources, long Built, long WithoutDefaultRoutes, long Compressed, int FullestEntries, Node? FullestChip);
