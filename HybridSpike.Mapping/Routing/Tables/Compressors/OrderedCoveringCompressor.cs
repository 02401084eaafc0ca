using System.Collections.Immutable;
using System.Numerics;

namespace HybridSpike.Mapping.Routing.Tables.Compressors;

/// <summary>
/// Ordered covering (Mundy, Heathcote &amp; Garside, "On-chip order-exploiting routing table
/// minimization for a multicast supercomputer network", HPSR 2016; rig's
/// <c>rig/routing_table/ordered_covering.py</c>, which PACMAN ported).
/// <para>
/// The table is kept sorted by generality (<see cref="KeyMask.Generality"/>, the number of X bits,
/// ascending): the most specific entries on top. At each step every route's entries are a candidate
/// merge; the merge of a set is the smallest key/mask covering them all, inserted above every entry
/// at least as general as itself. A candidate is refined by two checks, repeated until neither changes it:
/// the <b>down check</b>: the merged entry must not match any key that an entry below its insertion
/// point with another route is responsible for, nor any default-routed key; while it does, a bit that
/// is X in the merge but fixed in the covered keys is fixed to the value that excludes them, dropping
/// the members that disagree (the bit that keeps the most members wins; the most constrained covered
/// keys are fixed first), or the merge is dropped if no bit can; the <b>up check</b>: a member moving
/// down to the insertion point must not pass an entry of another route that intersects it (that entry
/// would take its keys), else the member leaves the merge. The candidate that removes the most entries
/// is applied; this repeats until the table has at most the target number of entries or no merge helps.
/// </para>
/// <para>
/// Order is what makes this work: a merged entry may cover keys of entries with other routes as long as
/// those sit above it. Each entry keeps its <i>aliases</i> (as rig does): the original key/masks it is
/// responsible for. The down check tests those rather than the entry's own, wider, key/mask, since keys
/// that no original entry matched (and that are not default-routed) may go anywhere.
/// </para>
/// <para>
/// Sorting by generality moves entries past each other; an input whose entries overlap with different
/// routes in a way the sort would reorder keeps its own order instead (the checks hold in any order).
/// </para>
/// </summary>
public sealed class OrderedCoveringCompressor : IRoutingTableCompressor
{
    public string Name => "ordered-covering";

    private sealed class Entry(KeyMask match, ChipRoute route, KeyMask[] aliases)
    {
        public KeyMask Match { get; } = match;
        public ChipRoute Route { get; } = route;
        public int Generality { get; } = match.Generality;
        public KeyMask[] Aliases { get; } = aliases;
    }

    public RoutingTable Compress(RoutingTable table, int targetEntries)
    {
        CompressorInput.Validate(table, targetEntries, Name);
        if (table.Count <= targetEntries || table.Count < 2) return table;

        var entries = new List<Entry>(table.Count);
        foreach (var e in table.Entries) entries.Add(new Entry(e.Match, e.Route, [e.Match]));
        if (SortIsSafe(entries))
        {
            // A stable sort (OrderBy is stable; List.Sort is not).
            var sorted = entries.OrderBy(e => e.Generality).ToList();
            entries = sorted;
        }

        var defaults = table.DefaultRouted.AsSpan().ToArray();
        var isMember = new bool[entries.Count];
        while (entries.Count > targetEntries)
        {
            List<int>? best = null;
            int bestGoodness = 0;
            foreach (var group in RouteGroups(entries))
            {
                if (group.Count - 1 <= bestGoodness) continue;
                var refined = Refine(entries, group, defaults, bestGoodness, isMember);
                if (refined is not null && refined.Count - 1 > bestGoodness)
                {
                    best = refined;
                    bestGoodness = refined.Count - 1;
                }
            }
            if (best is null) break;
            entries = Apply(entries, best, isMember);
        }

        var result = ImmutableArray.CreateBuilder<RoutingEntry>(entries.Count);
        foreach (var e in entries) result.Add(new RoutingEntry(e.Match, e.Route));
        return new RoutingTable(table.Chip, result.ToImmutable(), table.DefaultRouted);
    }

    /// <summary>Whether the stable generality sort moves no entry past an overlapping one of another route.</summary>
    private static bool SortIsSafe(List<Entry> entries)
    {
        for (int i = 0; i < entries.Count; i++)
            for (int j = i + 1; j < entries.Count; j++)
                if (entries[i].Generality > entries[j].Generality && entries[i].Route != entries[j].Route
                    && entries[i].Match.Intersects(entries[j].Match))
                    return false;
        return true;
    }

    /// <summary>The indices of each route's entries, routes in the order of their first entry (deterministic).</summary>
    private static List<List<int>> RouteGroups(List<Entry> entries)
    {
        var index = new Dictionary<ChipRoute, int>();
        var groups = new List<List<int>>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (!index.TryGetValue(entries[i].Route, out int g))
            {
                g = groups.Count;
                index.Add(entries[i].Route, g);
                groups.Add([]);
            }
            groups[g].Add(i);
        }
        return groups;
    }

    private static KeyMask MergeOf(List<Entry> entries, List<int> members)
    {
        var m = entries[members[0]].Match;
        for (int k = 1; k < members.Count; k++) m = m.Merge(entries[members[k]].Match);
        return m;
    }

    /// <summary>
    /// Where the merge goes: before the first non-member at least as general as it (the end if none),
    /// as rig's <c>_get_insertion_index</c> does. Above its equals rather than below them: a merge placed
    /// below an equally general merge of another route that covers its members could keep none of them,
    /// while above it the down check can narrow it until it stops covering that merge's aliases.
    /// </summary>
    private static int InsertionIndex(List<Entry> entries, bool[] isMember, int generality)
    {
        for (int j = 0; j < entries.Count; j++)
            if (!isMember[j] && entries[j].Generality >= generality) return j;
        return entries.Count;
    }

    /// <summary>
    /// The members of <paramref name="group"/> that survive the down and up checks, or null when fewer
    /// than two survive or they would remove no more than <paramref name="minGoodness"/> entries.
    /// <paramref name="isMember"/> is scratch, all false on entry and on return.
    /// </summary>
    private static List<int>? Refine(List<Entry> entries, List<int> group, KeyMask[] defaults, int minGoodness, bool[] isMember)
    {
        var members = new List<int>(group);
        var options = new List<(uint Bit, uint Want)>();
        foreach (var i in members) isMember[i] = true;
        try
        {
            var route = entries[members[0]].Route;
            bool changed = true;
            while (changed)
            {
                changed = false;

                // Down check.
                while (true)
                {
                    var m = MergeOf(entries, members);
                    int q = InsertionIndex(entries, isMember, m.Generality);
                    int stringency = MostConstrainedCovered(entries, defaults, route, m, q, options);
                    if (stringency < 0) break;
                    if (stringency == 0) return null; // the merge lies inside keys it must not take: no bit can help
                    // The option that keeps the most members; on ties the more significant bit, as rig prefers.
                    uint bestBit = 0, bestWant = 0;
                    int bestKept = -1;
                    foreach (var (bit, want) in options)
                    {
                        int kept = 0;
                        foreach (var i in members)
                        {
                            var k = entries[i].Match;
                            if ((k.Mask & bit) != 0 && (k.Key & bit) == want) kept++;
                        }
                        if (kept > bestKept || (kept == bestKept && (bit > bestBit || (bit == bestBit && want > bestWant))))
                        {
                            bestKept = kept; bestBit = bit; bestWant = want;
                        }
                    }
                    if (bestKept - 1 <= minGoodness || bestKept < 2) return null;
                    for (int t = members.Count - 1; t >= 0; t--)
                    {
                        var k = entries[members[t]].Match;
                        if ((k.Mask & bestBit) == 0 || (k.Key & bestBit) != bestWant)
                        {
                            isMember[members[t]] = false;
                            members.RemoveAt(t);
                        }
                    }
                    changed = true;
                }

                // Up check: members (in descending order) that would slide under an overlapping entry of
                // another route. Each removal makes the merge less general and so moves its insertion point
                // up (rig recomputes the merge after each removal too), which may let the remaining members pass.
                {
                    int q = InsertionIndex(entries, isMember, MergeOf(entries, members).Generality);
                    for (int t = members.Count - 1; t >= 0 && members.Count >= 2; t--)
                    {
                        int i = members[t];
                        var k = entries[i].Match;
                        for (int j = i + 1; j < q; j++)
                        {
                            if (isMember[j] || entries[j].Route == route || !entries[j].Match.Intersects(k)) continue;
                            isMember[i] = false;
                            members.RemoveAt(t);
                            changed = true;
                            if (members.Count >= 2) q = InsertionIndex(entries, isMember, MergeOf(entries, members).Generality);
                            break;
                        }
                    }
                    if (members.Count < 2 || members.Count - 1 <= minGoodness) return null;
                }
            }
            return members;
        }
        finally
        {
            foreach (var i in group) isMember[i] = false;
        }
    }

    /// <summary>
    /// Among the keys the merge <paramref name="m"/> must not match (the aliases of entries at or below
    /// <paramref name="q"/> with another route, and the default-routed keys) that it does match, those
    /// with the fewest bits that could exclude them (X in the merge, fixed in them): how many such bits
    /// (−1 when nothing is covered), with every (bit, value that excludes) of them in
    /// <paramref name="options"/>. Only the most constrained matter: they limit the choice most (rig).
    /// </summary>
    private static int MostConstrainedCovered(List<Entry> entries, KeyMask[] defaults, ChipRoute route, KeyMask m, int q,
        List<(uint Bit, uint Want)> options)
    {
        options.Clear();
        int fewest = int.MaxValue;
        for (int j = q; j < entries.Count && fewest > 0; j++)
        {
            var e = entries[j];
            if (e.Route == route || !e.Match.Intersects(m)) continue;
            foreach (var a in e.Aliases) Consider(a, m, options, ref fewest);
        }
        for (int d = 0; d < defaults.Length && fewest > 0; d++) Consider(defaults[d], m, options, ref fewest);
        return fewest == int.MaxValue ? -1 : fewest;
    }

    private static void Consider(KeyMask a, KeyMask m, List<(uint Bit, uint Want)> options, ref int fewest)
    {
        if (!a.Intersects(m)) return;
        uint s = ~m.Mask & a.Mask;
        int c = BitOperations.PopCount(s);
        if (c > fewest) return;
        if (c < fewest) { fewest = c; options.Clear(); }
        for (; s != 0; s &= s - 1)
        {
            uint bit = s & (~s + 1);
            var o = (bit, ~a.Key & bit);
            if (!options.Contains(o)) options.Add(o);
        }
    }

    /// <summary>The table with the members replaced by their merge at its insertion point; the merge inherits their aliases.</summary>
    private static List<Entry> Apply(List<Entry> entries, List<int> members, bool[] isMember)
    {
        foreach (var i in members) isMember[i] = true;
        var m = MergeOf(entries, members);
        int q = InsertionIndex(entries, isMember, m.Generality);
        var aliases = new List<KeyMask>();
        foreach (var i in members) aliases.AddRange(entries[i].Aliases);
        var merged = new Entry(m, entries[members[0]].Route, [.. aliases]);
        var next = new List<Entry>(entries.Count - members.Count + 1);
        for (int j = 0; j < entries.Count; j++)
        {
            if (j == q) next.Add(merged);
            if (!isMember[j]) next.Add(entries[j]);
        }
        if (q == entries.Count) next.Add(merged);
        foreach (var i in members) isMember[i] = false;
        return next;
    }
}
