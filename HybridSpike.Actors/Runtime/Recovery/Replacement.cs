using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Deployment;

namespace HybridSpike.Actors.Runtime.Recovery;

/// <summary>
/// Where the cores of a deployment go when nodes are lost (docs/cluster.md, "Recovery"): a pure function of where they
/// were, which nodes are gone and which are left. Cores on nodes that are left stay there (their neighbours, and so the
/// traffic between nodes, stay as they were); the lost nodes' cores move, a chip's cores together where they fit, each
/// group to the node left that runs the fewest cores (the first of equal ones in the order given). So a node that joined
/// during the run, running none, takes them first. Hardware placement (which core of which chip) never changes: only
/// which node emulates a core, and so never a spike.
/// </summary>
public static class Replacement
{
    /// <summary>
    /// The node of every core after losing <paramref name="lost"/>: <paramref name="nodes"/> holds each core's node now,
    /// <paramref name="chips"/> each core's chip (cores of one chip move together), <paramref name="candidates"/> the nodes
    /// the cores may go to (those left, in order; a lost one among them is skipped), <paramref name="maxCoresPerNode"/> the
    /// most a node may run (0: no limit). A <see cref="MeshClusterException"/> saying what was lost and why nothing can take
    /// it when no node is left or none has room.
    /// </summary>
    public static ImmutableArray<Address> Replace(ImmutableArray<Address> nodes, ImmutableArray<(int X, int Y)> chips, IReadOnlyCollection<Address> lost,
        ImmutableArray<Address> candidates, int maxCoresPerNode)
    {
        ArgumentNullException.ThrowIfNull(lost);
        if (chips.Length != nodes.Length) throw new ArgumentException($"{chips.Length} chips for {nodes.Length} cores");
        if (maxCoresPerNode < 0) throw new ArgumentOutOfRangeException(nameof(maxCoresPerNode), maxCoresPerNode, "must be 0 (no limit) or positive");
        var gone = lost.ToHashSet();
        var left = candidates.Where(n => !gone.Contains(n)).Distinct().ToList();
        var moving = Enumerable.Range(0, nodes.Length).Where(k => gone.Contains(nodes[k])).ToList();
        string What() =>
            $"node(s) {string.Join(", ", gone.Order(AddressOrder.Instance))} lost with core(s) {Ranges(moving)}";
        if (left.Count == 0) throw new MeshClusterException($"recovery impossible: {What()}, and no node is left to take them");
        var load = left.ToDictionary(n => n, n => nodes.Count(m => m.Equals(n)));
        int Room(Address n) => maxCoresPerNode == 0 ? int.MaxValue : maxCoresPerNode - load[n];
        int free = left.Sum(n => Math.Max(0, Math.Min(Room(n), nodes.Length)));
        if (free < moving.Count)
            throw new MeshClusterException($"recovery impossible: {What()}; the {left.Count} node(s) left ({string.Join(", ", left)}) have room for {free} more " +
                $"(at most {maxCoresPerNode} cores per node), {moving.Count} needed");
        var result = nodes.ToArray();
        // The least loaded node left (the first of equal ones), with room for n more cores if one has it.
        Address? Least(int n) => left.Where(x => Room(x) >= n).OrderBy(x => load[x]).ThenBy(x => left.IndexOf(x)).Cast<Address?>().FirstOrDefault();
        foreach (var group in moving.GroupBy(k => chips[k]))
        {
            var cores = group.ToList();
            if (Least(cores.Count) is { } whole)
            {
                foreach (var k in cores) result[k] = whole;
                load[whole] += cores.Count;
                continue;
            }
            // No node left has room for the whole chip: its cores go one by one (the room was checked above).
            foreach (var k in cores)
            {
                var n = Least(1)!;
                result[k] = n;
                load[n]++;
            }
        }
        return [.. result];
    }

    /// <summary>Core numbers as ranges: "0-3, 7, 9-10".</summary>
    internal static string Ranges(IEnumerable<int> cores)
    {
        var parts = new List<string>();
        int? start = null, last = null;
        foreach (var k in cores.Order())
        {
            if (last is { } l && k == l + 1) { last = k; continue; }
            if (start is { } s) parts.Add(s == last ? $"{s}" : $"{s}-{last}");
            start = last = k;
        }
        if (start is { } s2) parts.Add(s2 == last ? $"{s2}" : $"{s2}-{last}");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>Addresses in host, then port order (the order the cluster's nodes are taken in, docs/mesh.md).</summary>
internal sealed class AddressOrder : IComparer<Address>
{
    public static readonly AddressOrder Instance = new();

    public int Compare(Address? a, Address? b) =>
        a is null || b is null ? Comparer<object>.Default.Compare(a, b)
        : string.CompareOrdinal(a.Host, b.Host) is var h and not 0 ? h : Nullable.Compare(a.Port, b.Port);
}
