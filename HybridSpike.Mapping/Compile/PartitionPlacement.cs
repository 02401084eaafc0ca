namespace HybridSpike.Mapping.Compile;

/// <summary>
/// A balanced min-cut of the traffic graph into k = ⌈pieces / cores per chip⌉ parts of at most a
/// chip's cores each, one part per chip: the role of nengo-loihi's <c>PartitionInterchip</c>
/// (nengo_loihi/hardware/allocators.py, which calls METIS), written here as recursive bisection
/// (each set is cut in two whose sizes each still fit their share of chips). Each bisection starts
/// from greedy graph growing and is refined with Fiduccia–Mattheyses passes (Fiduccia &amp; Mattheyses
/// 1982, "A linear-time heuristic for improving network partitions"; move the best-gain node that
/// keeps the sizes legal, lock it, keep the best prefix of the pass). A final k-way pass moves or
/// swaps single pieces between parts while that lowers the cut (Kernighan &amp; Lin 1970). Parts go
/// on chips by <see cref="TrafficGraph.Assign"/>. No randomness: every tie goes to the lowest index,
/// so the result is a pure function of the context. Reads only the layout's chips and cores and the
/// traffic, so it serves any topology. Cost: O(passes · n²) per level of bisection, log₂ k levels.
/// </summary>
public sealed class PartitionPlacement : IPlacementStrategy
{
    /// <summary>FM passes per bisection; a pass that gains nothing ends it earlier.</summary>
    public const int Passes = 8;

    /// <summary>Gains below this are rounding, not improvement (keeps refinement from cycling).</summary>
    private const double Epsilon = 1e-9;

    public string Name => "partition";

    public PlacedNetwork Place(PlacementContext context)
    {
        var split = context.Split;
        TrafficGraph.RequireCores(split);
        var graph = TrafficGraph.Of(split.Pieces.Length, context.Traffic);
        return TrafficGraph.Assign(split, graph, Parts(graph, split.Profile.Layout.CoresPerChip));
    }

    /// <summary>The parts (pieces per part, ascending), none larger than <paramref name="capacity"/>, at most ⌈n / capacity⌉ of them.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> Parts(TrafficGraph graph, int capacity)
    {
        var parts = new List<List<int>>();
        if (graph.Count > 0) Bisect(graph, [.. Enumerable.Range(0, graph.Count)], capacity, parts);
        Refine(graph, parts, capacity);
        return [.. parts.Where(p => p.Count > 0).Select(p => (IReadOnlyList<int>)[.. p.Order()])];
    }

    private static void Bisect(TrafficGraph graph, List<int> nodes, int capacity, List<List<int>> parts)
    {
        int n = nodes.Count, k = (n + capacity - 1) / capacity;
        if (k <= 1) { parts.Add(nodes); return; }
        int k1 = (k + 1) / 2, k2 = k - k1;
        // Left size bounds: each side must still fit its share of chips.
        int lo = Math.Max(1, n - k2 * capacity), hi = Math.Min(n - 1, k1 * capacity);
        int target = Math.Clamp((int)Math.Round((double)n * k1 / k), lo, hi);
        var local = new Dictionary<int, int>(n);
        for (int i = 0; i < n; i++) local[nodes[i]] = i;
        // Edges inside this set, in local indices.
        var edges = nodes.Select(v => graph.Neighbours(v).Where(e => local.ContainsKey(e.Node)).Select(e => (Node: local[e.Node], e.Weight)).ToArray()).ToArray();
        var left = Grow(edges, target);
        FiducciaMattheyses(edges, left, lo, hi);
        List<int> a = [], b = [];
        for (int i = 0; i < n; i++) (left[i] ? a : b).Add(nodes[i]);
        Bisect(graph, a, capacity, parts);
        Bisect(graph, b, capacity, parts);
    }

    /// <summary>Greedy graph growing: from the node with the most traffic, add the node most joined to the grown side until it has <paramref name="size"/> nodes.</summary>
    private static bool[] Grow((int Node, double Weight)[][] edges, int size)
    {
        int n = edges.Length;
        var side = new bool[n];
        var score = edges.Select(e => e.Sum(x => x.Weight)).ToArray();
        var toSide = new double[n];
        for (int grown = 0; grown < size; grown++)
        {
            var s = grown == 0 ? score : toSide;
            int best = -1;
            for (int i = 0; i < n; i++) if (!side[i] && (best < 0 || s[i] > s[best])) best = i;
            side[best] = true;
            foreach (var (m, w) in edges[best]) toSide[m] += w;
        }
        return side;
    }

    /// <summary>FM passes on a bisection; <paramref name="left"/> changes in place and its size stays in [lo, hi].</summary>
    private static void FiducciaMattheyses((int Node, double Weight)[][] edges, bool[] left, int lo, int hi)
    {
        int n = edges.Length;
        for (int pass = 0; pass < Passes; pass++)
        {
            // gain[v]: cut decrease if v changes side = traffic to the other side − traffic to its own.
            var gain = new double[n];
            for (int v = 0; v < n; v++) foreach (var (m, w) in edges[v]) gain[v] += left[m] != left[v] ? w : -w;
            var locked = new bool[n];
            int size = left.Count(x => x);
            var moves = new List<int>();
            double sum = 0, best = 0;
            int bestPrefix = 0;
            for (int step = 0; step < n; step++)
            {
                int pick = -1;
                for (int v = 0; v < n; v++)
                {
                    if (locked[v]) continue;
                    int after = left[v] ? size - 1 : size + 1;
                    if (after < lo || after > hi) continue;
                    if (pick < 0 || gain[v] > gain[pick]) pick = v;
                }
                if (pick < 0) break;
                sum += gain[pick];
                locked[pick] = true;
                size += left[pick] ? -1 : 1;
                left[pick] = !left[pick];
                moves.Add(pick);
                gain[pick] = -gain[pick];
                foreach (var (m, w) in edges[pick]) gain[m] += left[m] == left[pick] ? -2 * w : 2 * w;
                if (sum > best + Epsilon) (best, bestPrefix) = (sum, moves.Count);
            }
            // Undo the moves after the best prefix.
            for (int i = moves.Count - 1; i >= bestPrefix; i--) left[moves[i]] = !left[moves[i]];
            if (bestPrefix == 0) break;
        }
    }

    /// <summary>k-way clean-up: move a piece to a part with room, or swap two pieces, while that lowers the cut.</summary>
    private static void Refine(TrafficGraph graph, List<List<int>> parts, int capacity)
    {
        int n = graph.Count;
        var part = new int[n];
        for (int p = 0; p < parts.Count; p++) foreach (var v in parts[p]) part[v] = p;
        var size = parts.Select(p => p.Count).ToArray();
        double To(int v, int p) { double s = 0; foreach (var (m, w) in graph.Neighbours(v)) if (part[m] == p) s += w; return s; }
        for (int pass = 0; pass < Passes; pass++)
        {
            bool improved = false;
            for (int v = 0; v < n; v++)
            {
                int own = part[v];
                double stay = To(v, own);
                // Candidate parts: those v talks to, ascending.
                foreach (int q in graph.Neighbours(v).Select(e => part[e.Node]).Where(q => q != own).Distinct().Order())
                {
                    double there = To(v, q);
                    if (there - stay <= Epsilon) continue;
                    if (size[q] < capacity)
                    {
                        part[v] = q; size[q]++; size[own]--;
                        improved = true;
                        break;
                    }
                    // Full: swap with the member of q whose swap gains most (ties: lowest index).
                    int with = -1;
                    double bestGain = Epsilon;
                    for (int u = 0; u < n; u++)
                    {
                        if (part[u] != q) continue;
                        double g = there - stay + To(u, own) - To(u, q) - 2 * graph.Between(u, v);
                        if (g > bestGain) (with, bestGain) = (u, g);
                    }
                    if (with >= 0)
                    {
                        (part[v], part[with]) = (q, own);
                        improved = true;
                        break;
                    }
                }
            }
            if (!improved) break;
        }
        for (int p = 0; p < parts.Count; p++) parts[p] = [.. Enumerable.Range(0, n).Where(v => part[v] == p)];
    }
}
