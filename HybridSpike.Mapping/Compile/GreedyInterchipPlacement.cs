namespace HybridSpike.Mapping.Compile;

/// <summary>
/// Grows one chip at a time by traffic, after nengo-loihi's <c>GreedyInterchip</c> allocator
/// (nengo_loihi/hardware/allocators.py): a chip's first piece is the unplaced piece with the most
/// traffic overall; then, until the chip's cores are full, the unplaced piece with the most traffic
/// (both ways, <see cref="PieceTraffic.PacketsPerStep"/>) to the pieces already on this chip. Ties go
/// to the lowest piece index, so the result is a pure function of the context. The chips so filled
/// are then put on the grid so that heavily-communicating ones are near each other
/// (<see cref="TrafficGraph.Assign"/>). Reads only the layout's chips and cores and the traffic, so
/// it serves any topology. Cost: O(pieces²) for the growth, O(chips² · groups) for the chip order.
/// </summary>
public sealed class GreedyInterchipPlacement : IPlacementStrategy
{
    public string Name => "greedy";

    public PlacedNetwork Place(PlacementContext context)
    {
        var split = context.Split;
        TrafficGraph.RequireCores(split);
        int n = split.Pieces.Length, perChip = split.Profile.Layout.CoresPerChip;
        var graph = TrafficGraph.Of(n, context.Traffic);
        return TrafficGraph.Assign(split, graph, Groups(graph, perChip));
    }

    /// <summary>The pieces per chip, in the order the chips were filled.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> Groups(TrafficGraph graph, int perChip)
    {
        int n = graph.Count;
        var total = Enumerable.Range(0, n).Select(graph.Total).ToArray();
        var placed = new bool[n];
        var groups = new List<IReadOnlyList<int>>();
        int left = n;
        while (left > 0)
        {
            // Traffic of every unplaced piece to this chip's pieces so far.
            var toChip = new double[n];
            var chip = new List<int>();
            int first = Best(n, placed, total);
            while (true)
            {
                int next = chip.Count == 0 ? first : Best(n, placed, toChip);
                placed[next] = true;
                left--;
                chip.Add(next);
                foreach (var (m, w) in graph.Neighbours(next)) toChip[m] += w;
                if (chip.Count == perChip || left == 0) break;
            }
            groups.Add(chip);
        }
        return groups;
    }

    /// <summary>The unplaced piece with the largest score; ties to the lowest index.</summary>
    private static int Best(int n, bool[] placed, double[] score)
    {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!placed[i] && (best < 0 || score[i] > score[best])) best = i;
        return best;
    }
}
