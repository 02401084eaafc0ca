using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables.Compressors;

/// <summary>
/// PACMAN's default compressor, the pair compressor (<c>pacman/operations/router_compressors/pair_compressor.py</c>
/// and SpiNNFrontEndCommon's on-chip <c>pair_minimize.h</c>): the entries are grouped by route and the
/// groups placed in order of how many entries they have, the least frequent first; within a group, pairs
/// of entries are merged (<see cref="KeyMask.Merge"/>) greedily, repeatedly, while the merged entry
/// intersects no original entry of a group placed later and no default-routed key.
/// <para>
/// Order matters: a merged entry is wider than the two it replaces and may match keys that belong to
/// an entry of another route. Those keys are safe only if that entry sits ABOVE it (a TCAM's first
/// match wins), so each merge is checked against every entry below its group. Putting the least
/// frequent routes first leaves the big groups, which gain most from wide merges, at the bottom where
/// few entries can be stolen from. Only the original entries of later groups are checked (their
/// merges add keys no one sends, which the contract leaves free) and the default-routed keys, which
/// must keep matching nothing.
/// </para>
/// <para>
/// Regrouping moves entries past each other, which is only safe where they do not overlap with
/// different routes; the table builder's entries never do (one key/mask per source), and an input
/// where the grouping would move an entry below an overlapping one of another route is refused.
/// The compressor always compresses as far as it can (the target is not a stopping rule here).
/// </para>
/// </summary>
public sealed class PairCompressor : IRoutingTableCompressor
{
    public string Name => "pair";

    public RoutingTable Compress(RoutingTable table, int targetEntries)
    {
        CompressorInput.Validate(table, targetEntries, Name);
        var entries = table.Entries;
        int n = entries.Length;
        if (n < 2) return table;

        // Groups in the order of their first entry (the dictionary only looks them up; its order is never used).
        var groupOf = new int[n];
        var index = new Dictionary<ChipRoute, int>();
        var members = new List<List<KeyMask>>();
        var routes = new List<ChipRoute>();
        for (int i = 0; i < n; i++)
        {
            var r = entries[i].Route;
            if (!index.TryGetValue(r, out int g))
            {
                g = members.Count;
                index.Add(r, g);
                members.Add([]);
                routes.Add(r);
            }
            groupOf[i] = g;
            members[g].Add(entries[i].Match);
        }

        // The least frequent first; ties by first appearance, so the result is a function of the table alone.
        var order = new int[members.Count];
        for (int g = 0; g < order.Length; g++) order[g] = g;
        Array.Sort(order, (a, b) => members[a].Count != members[b].Count ? members[a].Count.CompareTo(members[b].Count) : a.CompareTo(b));
        var rank = new int[members.Count];
        for (int r = 0; r < order.Length; r++) rank[order[r]] = r;

        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (rank[groupOf[i]] > rank[groupOf[j]] && entries[i].Match.Intersects(entries[j].Match))
                    throw new CompileException(
                        $"pair compressor, chip {CompressorInput.Chip(table)}: entries {i} ({entries[i].Match}) and {j} ({entries[j].Match}) overlap with different routes, and grouping by route would put {j} first");

        // The keys each group must not take: the original entries of every later group, then the default-routed keys.
        var below = new KeyMask[n + table.DefaultRouted.Length];
        var belowStart = new int[order.Length];
        int at = 0;
        for (int r = 0; r < order.Length; r++)
        {
            belowStart[r] = at;
            foreach (var m in members[order[r]]) below[at++] = m;
        }
        foreach (var d in table.DefaultRouted) below[at++] = d;

        var result = ImmutableArray.CreateBuilder<RoutingEntry>(n);
        for (int r = 0; r < order.Length; r++)
        {
            var cur = new List<KeyMask>(members[order[r]]);
            int from = r + 1 < order.Length ? belowStart[r + 1] : n;
            MergePairs(cur, below.AsSpan(from));
            foreach (var m in cur) result.Add(new RoutingEntry(m, routes[order[r]]));
        }
        return new RoutingTable(table.Chip, result.ToImmutable(), table.DefaultRouted);
    }

    /// <summary>Merges pairs of <paramref name="cur"/> in place, in passes, until no pair can merge without touching <paramref name="forbidden"/>.</summary>
    private static void MergePairs(List<KeyMask> cur, ReadOnlySpan<KeyMask> forbidden)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int a = 0; a < cur.Count; a++)
            {
                int b = a + 1;
                while (b < cur.Count)
                {
                    var m = cur[a].Merge(cur[b]);
                    if (Collides(m, forbidden)) { b++; continue; }
                    cur[a] = m;
                    cur.RemoveAt(b);
                    changed = true;
                }
            }
        }
    }

    private static bool Collides(KeyMask m, ReadOnlySpan<KeyMask> forbidden)
    {
        foreach (var f in forbidden)
            if (m.Intersects(f)) return true;
        return false;
    }
}
