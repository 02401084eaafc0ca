using System.Collections.Immutable;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>One entry of a router's table: the keys it matches and where they go.</summary>
public sealed record RoutingEntry(KeyMask Match, ChipRoute Route)
{
    public override string ToString() => $"{Match} -> {Route}";
}

/// <summary>
/// A chip's routing table as its router uses it: entries in priority order, the first that matches a
/// key decides its route (a TCAM). A key that matches none is default-routed: it leaves by the link
/// opposite the one it came in on (<see cref="TriangularTorus.Opposite"/>), and at its own source
/// chip it has nowhere to go, which the table builder never lets happen.
/// </summary>
/// <param name="Chip">The chip (the topology's node) the table belongs to.</param>
/// <param name="Entries">In priority order.</param>
/// <param name="DefaultRouted">
/// The keys that pass through this chip by default routing (their entries were left out): they must
/// go on matching no entry, so a compressor may never widen an entry over them.
/// </param>
public sealed record RoutingTable(Node Chip, ImmutableArray<RoutingEntry> Entries, ImmutableArray<KeyMask> DefaultRouted)
{
    public int Count => Entries.Length;

    /// <summary>The route of the first entry that matches <paramref name="key"/>, or null when none does (default routing).</summary>
    public ChipRoute? Lookup(uint key)
    {
        foreach (var e in Entries.AsSpan())
            if (e.Match.Matches(key)) return e.Route;
        return null;
    }

    /// <summary>The index of the first entry that matches <paramref name="key"/>, or −1.</summary>
    public int IndexOf(uint key)
    {
        var span = Entries.AsSpan();
        for (int i = 0; i < span.Length; i++)
            if (span[i].Match.Matches(key)) return i;
        return -1;
    }
}

/// <summary>
/// One source's packets at one chip, before compression: its key and mask (every unit of the source
/// matches), the link they arrive on (null at the source's own chip, where its cores inject them),
/// and where this chip's router must send them.
/// </summary>
/// <param name="Source">The source core (placement order).</param>
/// <param name="Arrival">
/// The receiving chip's own link number on which the packets come in, i.e. the link that points back
/// to the chip they came from (a packet sent east, link 0, arrives on link 3), as SpiNNaker numbers them.
/// </param>
public sealed record SourceRoute(int Source, KeyMask Match, int? Arrival, ChipRoute Route)
{
    /// <summary>
    /// Whether default routing does what the entry would: the packet arrives on link L and leaves
    /// only on link (L + 3) mod 6, with no core of this chip receiving it (spinn_machine's routing_entry.py).
    /// </summary>
    public bool IsDefaultRoutable =>
        Arrival is int l && Route.Cores.IsEmpty && Route.Links == 1 << TriangularTorus.Opposite(l);
}

/// <summary>A chip's table as the routes made it: one entry per source whose tree passes through the chip.</summary>
public sealed record ChipTable(Node Chip, ImmutableArray<SourceRoute> Sources)
{
    /// <summary>Every source's entry, none left out, in key order: the reference the compressed tables are checked against.</summary>
    public RoutingTable Full => new(Chip, [.. Sources.Select(s => new RoutingEntry(s.Match, s.Route))], []);

    /// <summary>The entries default routing cannot replace, in key order, with the others' keys as <see cref="RoutingTable.DefaultRouted"/>.</summary>
    public RoutingTable WithoutDefaultRoutes => new(Chip,
        [.. Sources.Where(s => !s.IsDefaultRoutable).Select(s => new RoutingEntry(s.Match, s.Route))],
        [.. Sources.Where(s => s.IsDefaultRoutable).Select(s => s.Match)]);

    public int DefaultRoutable => Sources.Count(s => s.IsDefaultRoutable);
}

/// <summary>
/// Makes a table smaller without changing the route of any key it matches: every key that matches an
/// entry of the input gets the same route from the output, and every key of
/// <see cref="RoutingTable.DefaultRouted"/> still matches no entry. Compressors are pure.
/// </summary>
public interface IRoutingTableCompressor
{
    /// <summary>The name reports and profiles use ("pair", "ordered-covering").</summary>
    string Name { get; }

    /// <summary>
    /// A table equivalent to <paramref name="table"/>; a compressor that can stop early (ordered
    /// covering) may stop once it has at most <paramref name="targetEntries"/> entries.
    /// </summary>
    RoutingTable Compress(RoutingTable table, int targetEntries);
}
