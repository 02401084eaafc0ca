using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>What a router does with a key: sends it by an entry's route, or finds no entry (default routing).</summary>
public abstract record TableOutcome
{
    private TableOutcome() { }

    /// <summary>The first matching entry's route.</summary>
    public sealed record Routed(ChipRoute Route) : TableOutcome
    {
        public override string ToString() => Route.ToString();
    }

    /// <summary>No entry matches: the key is default-routed.</summary>
    public sealed record NoEntry : TableOutcome
    {
        public static NoEntry Instance { get; } = new();

        public override string ToString() => "no entry (default routing)";
    }
}

/// <summary>
/// A set of keys (<paramref name="Keys"/>, a cube; <paramref name="ExampleKey"/> is one of them, its X
/// bits 0) that the compressed table of <paramref name="Chip"/> treats differently from the original.
/// </summary>
public sealed record TableDifference(Node Chip, KeyMask Keys, uint ExampleKey, TableOutcome Expected, TableOutcome Actual)
{
    public override string ToString() =>
        $"chip ({Chip.X},{Chip.Y}): keys {Keys} (e.g. 0x{ExampleKey:X8}) should get {Expected} but get {Actual}";
}

/// <summary>
/// Checks that a compressed table routes every key as the original does, symbolically, over key/mask
/// cubes rather than the 2^32 keys (after PACMAN's <c>routing_compression_checker.py</c>, which walks
/// each original entry's keys through the compressed table with the same first-match rule).
/// <para>
/// For every original entry e, the keys whose first match in the original is e (e's cube minus the
/// cubes of the entries above it: original tables may overlap, and then order decides there too) are
/// walked down the compressed table in priority order: each compressed entry takes the part of the
/// remaining cubes it intersects (their route is compared) and the rest, the cube difference, goes on
/// to the next entry. What is left at the bottom matches no entry. Cube difference A − B splits A
/// into at most popcount(B.Mask &amp; ~A.Mask) disjoint cubes, so nothing is enumerated key by key.
/// </para>
/// </summary>
public static class TableEquivalence
{
    /// <summary>
    /// The differences between a chip's table as the routes made it and a compressed table: each
    /// source's keys must get its route, or, only where default routing does the same
    /// (<see cref="SourceRoute.IsDefaultRoutable"/>), match no entry. Empty when equivalent.
    /// </summary>
    public static ImmutableArray<TableDifference> Differences(ChipTable original, RoutingTable compressed)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        var entries = original.Sources.Select(s => (s.Match, s.Route, DefaultAllowed: s.IsDefaultRoutable)).ToArray();
        return Compare(original.Chip, entries, [], compressed);
    }

    /// <summary>
    /// The differences between a table and a compressed one: every key the original routes must get
    /// the same route (first match in both), and every key of the original's
    /// <see cref="RoutingTable.DefaultRouted"/> must match no compressed entry. Empty when equivalent.
    /// </summary>
    public static ImmutableArray<TableDifference> Differences(RoutingTable original, RoutingTable compressed)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        var entries = original.Entries.Select(e => (e.Match, e.Route, DefaultAllowed: false)).ToArray();
        return Compare(original.Chip, entries, original.DefaultRouted, compressed);
    }

    /// <summary>Throws a <see cref="CompileException"/> naming the chip and the first differing keys unless the tables are equivalent.</summary>
    public static void EnsureEquivalent(ChipTable original, RoutingTable compressed) => Throw(Differences(original, compressed));

    /// <inheritdoc cref="EnsureEquivalent(ChipTable, RoutingTable)"/>
    public static void EnsureEquivalent(RoutingTable original, RoutingTable compressed) => Throw(Differences(original, compressed));

    private static void Throw(ImmutableArray<TableDifference> diffs)
    {
        if (diffs.IsEmpty) return;
        var more = diffs.Length > 1 ? $" (and {diffs.Length - 1} more difference(s))" : "";
        throw new CompileException($"the compressed routing table is not equivalent to the original: {diffs[0]}{more}");
    }

    private static ImmutableArray<TableDifference> Compare(
        Node chip, (KeyMask Match, ChipRoute Route, bool DefaultAllowed)[] original, ImmutableArray<KeyMask> defaultRouted, RoutingTable compressed)
    {
        if (compressed.Chip != chip)
            throw new ArgumentException($"the compressed table is chip ({compressed.Chip.X},{compressed.Chip.Y})'s, the original chip ({chip.X},{chip.Y})'s", nameof(compressed));
        var diffs = ImmutableArray.CreateBuilder<TableDifference>();
        var table = compressed.Entries;
        var pieces = new List<KeyMask>();
        var next = new List<KeyMask>();
        for (int i = 0; i < original.Length; i++)
        {
            var (match, route, defaultAllowed) = original[i];
            // The keys whose first match in the original is entry i.
            pieces.Clear();
            pieces.Add(match);
            for (int j = 0; j < i && pieces.Count > 0; j++) Subtract(pieces, original[j].Match, next);
            var expected = new TableOutcome.Routed(route);
            Walk(chip, pieces, table, next, diffs, expected, route, defaultAllowed);
        }
        foreach (var d in defaultRouted)
        {
            pieces.Clear();
            pieces.Add(d);
            Walk(chip, pieces, table, next, diffs, TableOutcome.NoEntry.Instance, null, true);
        }
        return diffs.ToImmutable();
    }

    /// <summary>
    /// Walks <paramref name="pieces"/> (disjoint cubes) down the compressed table: the part each entry
    /// catches must get <paramref name="route"/> (null: must match nothing); what no entry catches is
    /// a difference unless <paramref name="noEntryAllowed"/>.
    /// </summary>
    private static void Walk(Node chip, List<KeyMask> pieces, ImmutableArray<RoutingEntry> table, List<KeyMask> scratch,
        ImmutableArray<TableDifference>.Builder diffs, TableOutcome expected, ChipRoute? route, bool noEntryAllowed)
    {
        foreach (var entry in table.AsSpan())
        {
            if (pieces.Count == 0) return;
            var c = entry.Match;
            if (route != entry.Route)
                foreach (var p in pieces)
                    if (p.Intersection(c) is KeyMask hit)
                        diffs.Add(new TableDifference(chip, hit, hit.Key, expected, new TableOutcome.Routed(entry.Route)));
            Subtract(pieces, c, scratch);
        }
        if (!noEntryAllowed)
            foreach (var p in pieces)
                diffs.Add(new TableDifference(chip, p, p.Key, expected, TableOutcome.NoEntry.Instance));
    }

    /// <summary>Replaces <paramref name="pieces"/> by their parts outside <paramref name="b"/> (still disjoint).</summary>
    private static void Subtract(List<KeyMask> pieces, KeyMask b, List<KeyMask> scratch)
    {
        scratch.Clear();
        foreach (var a in pieces) AddDifference(a, b, scratch);
        pieces.Clear();
        pieces.AddRange(scratch);
    }

    /// <summary>
    /// Adds A − B as disjoint cubes: for each bit fixed in B but X in A (in order), the keys of A that
    /// agree with B on the earlier such bits and differ from it on this one.
    /// </summary>
    internal static void AddDifference(KeyMask a, KeyMask b, List<KeyMask> into)
    {
        if (!a.Intersects(b)) { into.Add(a); return; }
        uint key = a.Key, mask = a.Mask;
        for (uint free = b.Mask & ~a.Mask; free != 0; free &= free - 1)
        {
            uint bit = free & (~free + 1);
            into.Add(new KeyMask((key | (~b.Key & bit)) & (mask | bit), mask | bit));
            key |= b.Key & bit;
            mask |= bit;
        }
        // What remains (key, mask) lies inside B: it is dropped.
    }
}
