using System.Collections.Immutable;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>
/// Every chip's compressed routing table in flat arrays, as a machine's routers hold them: what a core
/// needs to route its own packets by lookup at run time (<see cref="PacketLookup"/>). One image per
/// compiled mesh, shared by all its cores; plain arrays, so it crosses the wire as it is.
/// Chip id = y × <see cref="Width"/> + x.
/// </summary>
/// <param name="Chips">The ids of the chips that have a table, increasing.</param>
/// <param name="EntryStart">Per chip of <paramref name="Chips"/>, where its entries start; one more at the end.</param>
/// <param name="Cores">Four words per entry: the entry's <see cref="CoreSet"/>.</param>
public sealed record TableImage(
    int Width,
    int Height,
    ImmutableArray<int> Chips,
    ImmutableArray<int> EntryStart,
    ImmutableArray<uint> Keys,
    ImmutableArray<uint> Masks,
    ImmutableArray<byte> Links,
    ImmutableArray<ulong> Cores)
{
    public static TableImage Of(RoutingTables tables)
    {
        var torus = tables.Torus;
        var ordered = tables.Compressed.OrderBy(t => t.Chip.Y * torus.Width + t.Chip.X).ToList();
        var start = ImmutableArray.CreateBuilder<int>(ordered.Count + 1);
        var keys = ImmutableArray.CreateBuilder<uint>();
        var masks = ImmutableArray.CreateBuilder<uint>();
        var links = ImmutableArray.CreateBuilder<byte>();
        var cores = ImmutableArray.CreateBuilder<ulong>();
        foreach (var t in ordered)
        {
            start.Add(keys.Count);
            foreach (var e in t.Entries)
            {
                keys.Add(e.Match.Key);
                masks.Add(e.Match.Mask);
                links.Add(e.Route.Links);
                cores.AddRange(e.Route.Cores.W0, e.Route.Cores.W1, e.Route.Cores.W2, e.Route.Cores.W3);
            }
        }
        start.Add(keys.Count);
        return new TableImage(torus.Width, torus.Height, [.. ordered.Select(t => t.Chip.Y * torus.Width + t.Chip.X)], start.MoveToImmutable(),
            keys.ToImmutable(), masks.ToImmutable(), links.ToImmutable(), cores.ToImmutable());
    }

    /// <summary>The index of the first entry of chip <paramref name="chip"/> that matches <paramref name="key"/>, or −1 (no table, or no match).</summary>
    public int Match(int chip, uint key)
    {
        int c = Chips.AsSpan().BinarySearch(chip);
        if (c < 0) return -1;
        var k = Keys.AsSpan();
        var m = Masks.AsSpan();
        for (int e = EntryStart[c], end = EntryStart[c + 1]; e < end; e++)
            if ((key & m[e]) == k[e]) return e;
        return -1;
    }

    /// <summary>
    /// What chip <paramref name="chip"/>'s router does with key <paramref name="key"/> that came in on its link
    /// <paramref name="arrival"/> (−1: injected by the chip's own cores): the links and the entry of the first
    /// match; with no match, out of the opposite link (default routing, <see cref="ChipHop.Entry"/> −1); at the
    /// key's own chip with no match, null: it has nowhere to go. The one definition both the compile-time walk
    /// (<see cref="TableRouter.Walk"/>) and the cores' run-time lookups (<see cref="PacketLookup.Route"/>) use.
    /// </summary>
    public ChipHop? RouteAt(int chip, uint key, int arrival)
    {
        int e = Match(chip, key);
        if (e >= 0) return new ChipHop(Links[e], e);
        return arrival >= 0 ? new ChipHop(1 << TriangularTorus.Opposite(arrival), -1) : null;
    }

    /// <summary>The cores of entry <paramref name="entry"/> (its on-chip numbers).</summary>
    public CoreSet CoresOf(int entry) => new(Cores[entry * 4], Cores[entry * 4 + 1], Cores[entry * 4 + 2], Cores[entry * 4 + 3]);

    /// <summary>The chip link <paramref name="link"/> of chip <paramref name="chip"/> leads to (<see cref="TriangularTorus.Offsets"/>, wrapping).</summary>
    public int Neighbour(int chip, int link)
    {
        var (dx, dy) = TriangularTorus.Offsets[link];
        int x = chip % Width, y = chip / Width;
        return ((y + dy + Height) % Height) * Width + (x + dx + Width) % Width;
    }
}

/// <summary>What one router does with one packet: the links it leaves by (bit i: link i) and the table entry that decided it (−1: default routing, no entry, no local core).</summary>
public readonly record struct ChipHop(int Links, int Entry);

/// <summary>
/// How one core routes its packets at run time, by lookup: its key is looked up in its chip's table,
/// the packet copied onto the links and to the local cores of the first matching entry (or, with no
/// match, sent on out of the link opposite the one it came in on), and so on chip by chip, breadth first,
/// exactly as <see cref="TableRouter.Walk"/> does at compile time. The result is the destination slots
/// (indices into the core's wired destinations) the packet reaches.
/// </summary>
/// <param name="DeliveryChip">Per destination slot (the order the core was wired in): the chip id of that destination core.</param>
/// <param name="DeliveryOnChip">Per destination slot: its number on its chip (the routing entries' core bit).</param>
public sealed record PacketLookup(TableImage Tables, uint Key, int RootChip, ImmutableArray<int> DeliveryChip, ImmutableArray<int> DeliveryOnChip)
{
    /// <summary>
    /// Routes one packet: writes the destination slots it reaches into <paramref name="slots"/> (at least
    /// <see cref="DeliveryChip"/>.Length long) and returns how many. A loop, a key with no entry at its own
    /// chip, or a delivery to a core that is not among the destinations is an <see cref="InvalidOperationException"/>
    /// (the compiler has already checked the tables, so this means they were changed).
    /// </summary>
    public int Route(Span<int> slots)
    {
        var t = Tables;
        int chips = t.Width * t.Height;
        Span<bool> visited = chips <= 4096 ? stackalloc bool[chips] : new bool[chips];
        Span<int> queueChip = chips <= 4096 ? stackalloc int[chips] : new int[chips];
        Span<int> queueArrival = chips <= 4096 ? stackalloc int[chips] : new int[chips];
        int head = 0, tail = 0, found = 0;
        queueChip[tail] = RootChip; queueArrival[tail++] = -1;
        var coreWords = t.Cores.AsSpan();
        while (head < tail)
        {
            int chip = queueChip[head], arrival = queueArrival[head++];
            if (visited[chip]) throw new InvalidOperationException($"route: chip ({chip % t.Width},{chip / t.Width}): key 0x{Key:X8} arrives a second time: the tables loop");
            visited[chip] = true;
            var hop = t.RouteAt(chip, Key, arrival)
                ?? throw new InvalidOperationException($"route: chip ({chip % t.Width},{chip / t.Width}): key 0x{Key:X8} matches no entry at its own chip");
            int e = hop.Entry, links = hop.Links;
            if (e >= 0)
            {
                for (int w = 0; w < 4; w++)
                    for (ulong bits = coreWords[e * 4 + w]; bits != 0; bits &= bits - 1)
                    {
                        int onChip = w * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits);
                        int slot = SlotOf(chip, onChip);
                        if (slot < 0) throw new InvalidOperationException($"route: chip ({chip % t.Width},{chip / t.Width}) delivers key 0x{Key:X8} to its core {onChip}, which is not a destination");
                        slots[found++] = slot;
                    }
            }
            for (int l = 0; l < 6; l++)
                if ((links & (1 << l)) != 0)
                {
                    if (tail == queueChip.Length) throw new InvalidOperationException($"route: key 0x{Key:X8} is copied onto more links than there are chips: the tables loop");
                    queueChip[tail] = t.Neighbour(chip, l);
                    queueArrival[tail++] = TriangularTorus.Opposite(l);
                }
        }
        return found;
    }

    private int SlotOf(int chip, int onChip)
    {
        for (int s = 0; s < DeliveryChip.Length; s++)
            if (DeliveryChip[s] == chip && DeliveryOnChip[s] == onChip) return s;
        return -1;
    }
}
