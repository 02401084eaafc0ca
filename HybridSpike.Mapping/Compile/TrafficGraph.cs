using System.Collections.Immutable;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Compile;

/// <summary>
/// The traffic estimate as an undirected weighted graph on pieces: the weight between two pieces is
/// the packets per step both ways (<see cref="PieceTraffic.PacketsPerStep"/>); a piece's traffic to
/// itself never leaves its core and is dropped. Neighbour lists are sorted by piece index so that
/// every sum and every tie-break is independent of hash order.
/// </summary>
public sealed class TrafficGraph
{
    private readonly (int Node, double Weight)[][] _neighbours;

    private TrafficGraph((int, double)[][] neighbours) => _neighbours = neighbours;

    public int Count => _neighbours.Length;

    /// <summary>Pieces joined to <paramref name="node"/> and the traffic both ways, by ascending piece index.</summary>
    public IReadOnlyList<(int Node, double Weight)> Neighbours(int node) => _neighbours[node];

    /// <summary>Traffic both ways between two pieces.</summary>
    public double Between(int a, int b)
    {
        foreach (var (n, w) in _neighbours[a]) if (n == b) return w;
        return 0;
    }

    /// <summary>A piece's traffic with every other piece.</summary>
    public double Total(int node) => _neighbours[node].Sum(e => e.Weight);

    public static TrafficGraph Of(int pieces, TrafficEstimate traffic)
    {
        var weights = new SortedDictionary<int, double>[pieces];
        for (int i = 0; i < pieces; i++) weights[i] = [];
        foreach (var p in traffic.Pairs)
        {
            if (p.Source == p.Target || p.PacketsPerStep == 0) continue;
            weights[p.Source][p.Target] = weights[p.Source].GetValueOrDefault(p.Target) + p.PacketsPerStep;
            weights[p.Target][p.Source] = weights[p.Target].GetValueOrDefault(p.Source) + p.PacketsPerStep;
        }
        return new TrafficGraph([.. weights.Select(w => w.Select(e => (e.Key, e.Value)).ToArray())]);
    }

    /// <summary>Traffic between pieces on different parts (<paramref name="part"/>[piece]): each pair counted once.</summary>
    public double Cut(IReadOnlyList<int> part)
    {
        double cut = 0;
        for (int a = 0; a < Count; a++)
            foreach (var (b, w) in _neighbours[a])
                if (b > a && part[a] != part[b]) cut += w;
        return cut;
    }

    /// <summary>Expected packets per step that cross between chips in a placement (every piece pair counted once, both directions).</summary>
    public static double InterChip(PlacedNetwork placed, TrafficEstimate traffic)
    {
        var chip = placed.Split.Pieces.Select(_ => -1).ToArray();
        var index = placed.Split.Pieces.Select((p, i) => (p, i)).ToDictionary(e => (e.p.Population, e.p.Start), e => e.i);
        foreach (var p in placed.Placements) chip[index[(p.Piece.Population, p.Piece.Start)]] = ChipIndex(placed.Split.Profile.Layout, p.Core);
        return traffic.Pairs.Where(t => chip[t.Source] != chip[t.Target]).Sum(t => t.PacketsPerStep);
    }

    /// <summary>A core's chip number in row-major chip order (as <see cref="SequentialPlacement.Address"/> counts them).</summary>
    public static int ChipIndex(MeshLayout layout, CoreAddress core) => core.ChipY * layout.ChipsX + core.ChipX;

    /// <summary>
    /// Grid distance |dx| + |dy| between chips <paramref name="a"/> and <paramref name="b"/> (row-major
    /// numbers). A heuristic only: it reads the layout's chip grid, not the topology, so it serves any
    /// interconnect (on a torus or a triangular one it over-estimates some pairs; placement stays valid).
    /// </summary>
    public static int ChipDistance(MeshLayout layout, int a, int b) =>
        Math.Abs(a % layout.ChipsX - b % layout.ChipsX) + Math.Abs(a / layout.ChipsX - b / layout.ChipsX);

    /// <summary>The common check of every placer: enough cores for the pieces.</summary>
    internal static void RequireCores(SplitNetwork split)
    {
        var layout = split.Profile.Layout;
        if (split.Pieces.Length > layout.Cores)
            throw new CompileException($"place: {split.Pieces.Length} pieces need more cores than profile '{split.Profile.Name}' has ({layout.Cores})");
    }

    /// <summary>
    /// Puts groups of pieces on chips, each group on one chip: the first group on chip 0, then the
    /// group with the most traffic to groups already placed (ties: lowest group) on the unused chip
    /// that minimises traffic × chip distance to them (ties: nearest the previous chip, then lowest
    /// chip), so heavy partners sit on neighbouring chips. Pieces of a group fill its chip's cores in
    /// row-major order, by ascending piece index. Placements come back in piece order.
    /// </summary>
    internal static PlacedNetwork Assign(SplitNetwork split, TrafficGraph graph, IReadOnlyList<IReadOnlyList<int>> groups)
    {
        var layout = split.Profile.Layout;
        int k = groups.Count;
        var groupOf = new int[split.Pieces.Length];
        for (int g = 0; g < k; g++) foreach (var p in groups[g]) groupOf[p] = g;
        // Traffic between groups, from the piece graph.
        var between = new double[k, k];
        for (int a = 0; a < graph.Count; a++)
            foreach (var (b, w) in graph.Neighbours(a))
                if (groupOf[a] != groupOf[b]) between[groupOf[a], groupOf[b]] += w;
        var chipOf = Enumerable.Repeat(-1, k).ToArray();
        var used = new bool[layout.Chips];
        int previous = 0;
        for (int step = 0; step < k; step++)
        {
            int group = -1;
            double best = -1;
            for (int g = 0; g < k; g++)
            {
                if (chipOf[g] >= 0) continue;
                double w = 0;
                for (int h = 0; h < k; h++) if (chipOf[h] >= 0) w += between[g, h];
                if (w > best) (group, best) = (g, w);
            }
            int chip = -1;
            (double Cost, int Near) bestChip = (double.PositiveInfinity, int.MaxValue);
            for (int c = 0; c < layout.Chips; c++)
            {
                if (used[c]) continue;
                double cost = 0;
                for (int h = 0; h < k; h++) if (chipOf[h] >= 0) cost += between[group, h] * ChipDistance(layout, c, chipOf[h]);
                int near = step == 0 ? c : ChipDistance(layout, c, previous);
                if (cost < bestChip.Cost || (cost == bestChip.Cost && near < bestChip.Near)) (chip, bestChip) = (c, (cost, near));
            }
            chipOf[group] = chip;
            used[chip] = true;
            previous = chip;
        }
        var core = new int[split.Pieces.Length];
        for (int g = 0; g < k; g++)
        {
            var members = groups[g].Order().ToArray();
            for (int slot = 0; slot < members.Length; slot++) core[members[slot]] = chipOf[g] * layout.CoresPerChip + slot;
        }
        return new PlacedNetwork(split, [.. split.Pieces.Select((piece, i) => new Placement(piece, SequentialPlacement.Address(layout, core[i])))]);
    }
}
