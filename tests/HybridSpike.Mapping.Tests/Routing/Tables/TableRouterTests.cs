using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

/// <summary>
/// The table router on random small networks at random placements on a torus, and on hand-made
/// tables that are wrong in one way each: every key is followed through the tables chip by chip.
/// </summary>
public class TableRouterTests
{
    [Property(MaxTest = 100)]
    public Property Every_key_of_every_unit_reaches_exactly_the_cores_that_take_it() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c => c.TableRouter().VerifyEveryKey().IsEmpty);

    [Property(MaxTest = 100)]
    public Property The_table_router_delivers_where_the_dimension_order_router_does() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var tables = c.TableRouter();
            var xy = c.Router(multicast: true);
            return Enumerable.Range(0, tables.Placed.Placements.Length).All(k =>
                tables.Resolve(k).Destinations.SequenceEqual(xy.Resolve(k).Destinations));
        });

    [Property(MaxTest = 100)]
    public Property A_packet_crosses_each_link_of_its_tree_once_and_reaches_each_chip_once() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var r = c.TableRouter();
            return Enumerable.Range(0, r.Placed.Placements.Length).All(k =>
            {
                var links = r.Resolve(k).Links.Select(u => u.Link).ToList();
                return links.Distinct().Count() == links.Count && links.Select(l => l.To).Distinct().Count() == links.Count;
            });
        });

    [Property(MaxTest = 100)]
    public Property No_delivery_path_is_shorter_than_the_shortest_path_on_the_torus() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var r = c.TableRouter();
            var torus = (TriangularTorus)r.Topology;
            return Enumerable.Range(0, r.Placed.Placements.Length).All(k => r.Resolve(k).Deliveries.All(d =>
                d.Hops >= torus.Hops(torus.NodeOf(r.Placed.Placements[k].Core), torus.NodeOf(r.Placed.Placements[d.Core].Core))));
        });

    // A line: p0 (1 unit) on chip (0,0) feeds p1 (1 unit) on chip (3,0) of a 6x3 torus: E E E.
    private static readonly PlacedNetwork Line = TableCases.Placed(TableCases.Chain(1, 1), TableCases.Torus(6, 3), 0, TableCases.CoreOn(TableCases.Torus(6, 3), 3, 0));

    private static TableRouter LineRouter(int entries = 1023) =>
        new(RoutingTables.Build(new TriangularTorus(6, 3), Line, new NoCompression(), entries), Line);

    [Fact]
    public void Chips_a_packet_passes_straight_through_keep_no_entry()
    {
        var sizes = LineRouter().Tables.Sizes.ToDictionary(s => s.Chip);
        Assert.Equal(1, sizes[new Node(1, 0)].Built);
        Assert.Equal(0, sizes[new Node(1, 0)].WithoutDefaultRoutes);
        Assert.Equal(0, sizes[new Node(2, 0)].WithoutDefaultRoutes);
    }

    [Fact]
    public void Default_routing_carries_the_packet_through_them()
    {
        var d = LineRouter().Resolve(0);
        Assert.Equal([1], d.Destinations.ToArray());
        Assert.Equal(3, d.Deliveries[0].Hops);
    }

    [Fact]
    public void The_source_and_the_destination_chip_keep_their_entries()
    {
        var sizes = LineRouter().Tables.Sizes.ToDictionary(s => s.Chip);
        Assert.Equal(1, sizes[new Node(0, 0)].WithoutDefaultRoutes);
        Assert.Equal(1, sizes[new Node(3, 0)].WithoutDefaultRoutes);
    }

    /// <summary>The line's router with chip <paramref name="chip"/>'s table replaced.</summary>
    private static CompileException Tampered(Node chip, params RoutingEntry[] entries)
    {
        var tables = LineRouter().Tables;
        var others = tables.Compressed.Where(t => t.Chip != chip);
        var t = tables with { Compressed = [.. others.Append(new RoutingTable(chip, [.. entries], []))] };
        return Assert.Throws<CompileException>(() => new TableRouter(t, Line));
    }

    private static KeyMask KeyOfP0 => LineRouter().Tables.Keys.Of(0).Match;

    [Fact]
    public void Tables_that_send_a_packet_round_in_a_loop_are_an_error_naming_the_chip()
    {
        // (1,0) sends it back west to (0,0), whose entry sends it east again.
        var e = Tampered(new Node(1, 0), new RoutingEntry(KeyOfP0, ChipRoute.Drop.WithLink(3)));
        Assert.Equal($"route: chip (0,0): the packets of core 0 (key 0x{KeyOfP0.Key:X8}) arrive a second time: the tables loop", e.Message);
    }

    [Fact]
    public void A_key_with_no_entry_at_its_own_chip_is_an_error()
    {
        var e = Tampered(new Node(0, 0));
        Assert.Equal($"route: chip (0,0): key 0x{KeyOfP0.Key:X8} of core 0 matches no entry at its own chip, so it has nowhere to go", e.Message);
    }

    [Fact]
    public void A_missed_destination_is_an_error_naming_the_core()
    {
        // (3,0) drops the packet instead of delivering it to its core 0.
        var e = Tampered(new Node(3, 0), new RoutingEntry(KeyOfP0, ChipRoute.Drop));
        Assert.Equal("route: the tables never deliver core 0's packets to core 1, which takes them", e.Message);
    }

    [Fact]
    public void An_extra_destination_is_an_error_naming_the_core()
    {
        // (0,0) also delivers to its own core 0, the source, which does not take its own packets here.
        var e = Tampered(new Node(0, 0), new RoutingEntry(KeyOfP0, ChipRoute.Drop.WithLink(0).WithCore(0)));
        Assert.Equal("route: the tables deliver core 0's packets to core 0, which does not take them", e.Message);
    }

    [Fact]
    public void Delivery_to_a_core_that_holds_no_piece_is_an_error()
    {
        var e = Tampered(new Node(3, 0), new RoutingEntry(KeyOfP0, ChipRoute.Drop.WithCore(0).WithCore(2)));
        Assert.Equal($"route: chip (3,0) delivers key 0x{KeyOfP0.Key:X8} of core 0 to its core 2, which holds no piece", e.Message);
    }

    [Fact]
    public void A_table_over_the_limit_is_an_error_naming_the_chip_and_both_counts()
    {
        // Three sources on chip (0,0), each feeding the next ones and a core on (1,0): each needs an entry at (0,0), its own chip.
        var profile = TableCases.Torus(3, 3);
        var placed = TableCases.Placed(TableCases.Chain(16, 16, 16, 1), profile, 0, 1, 2, TableCases.CoreOn(profile, 1, 0));
        var e = Assert.Throws<CompileException>(() => RoutingTables.Build(new TriangularTorus(3, 3), placed, new NoCompression(), 2));
        Assert.Equal("chip (0,0): 3 entries after compression (none), limit 2", e.Message);
    }

    [Fact]
    public void Through_the_profile_a_table_over_the_limit_stops_the_compile()
    {
        var c = new RoutingCase([16, 16, 16], [(0, 1, 1), (0, 2, 2), (1, 2, 3)], 5);
        var profile = RoutingCase.TorusProfile(entries: 1);
        var e = Assert.Throws<CompileException>(() => Compiler.Compile(c.Network(), profile, new RandomPlacement(5)));
        Assert.Matches(@"^chip \(\d+,\d+\): \d+ entries after compression \(none\), limit 1$", e.Message);
    }
}

/// <summary>The run-time lookup (what the mesh's cores do each step) against the compile-time walk.</summary>
public class PacketLookupTests
{
    [Property(MaxTest = 100)]
    public Property A_cores_lookup_reaches_the_destinations_its_walk_does() =>
        Prop.ForAll(RoutingCase.Arbitrary(), c =>
        {
            var r = c.TableRouter();
            return Enumerable.Range(0, r.Placed.Placements.Length).All(k =>
            {
                var destinations = r.Resolve(k).Destinations;
                if (r.LookupFor(k) is not { } lookup) return destinations.IsEmpty;
                var slots = new int[destinations.Length];
                int n = lookup.Route(slots);
                return slots.Take(n).Select(s => destinations[s]).Order().SequenceEqual(destinations);
            });
        });

    [Fact]
    public void A_lookup_through_tables_that_loop_fails_naming_the_chip()
    {
        // p0 on chip (0,0) feeds p1 on chip (3,0) of a 6x3 torus; chip (1,0) is made to send the packet back west.
        var profile = TableCases.Torus(6, 3);
        var placed = TableCases.Placed(TableCases.Chain(1, 1), profile, 0, TableCases.CoreOn(profile, 3, 0));
        var router = new TableRouter(RoutingTables.Build(new TriangularTorus(6, 3), placed, new NoCompression(), 1023), placed);
        var lookup = router.LookupFor(0)!;
        var image = lookup.Tables;
        // Chip (1,0) (id 1) passes the packet by default routing: give it one entry, the key back west (link 3).
        var looping = lookup with
        {
            Tables = image with
            {
                Chips = [.. image.Chips.Append(1).Distinct().Order()],
                EntryStart = Rebuilt(image, 1, out var keys, out var masks, out var links, out var cores),
                Keys = keys, Masks = masks, Links = links, Cores = cores,
            },
        };
        var e = Assert.Throws<InvalidOperationException>(() => looping.Route(new int[1]));
        Assert.Contains("chip (0,0)", e.Message);
        Assert.Contains("the tables loop", e.Message);

        ImmutableArray<int> Rebuilt(TableImage t, int chip, out ImmutableArray<uint> k, out ImmutableArray<uint> m, out ImmutableArray<byte> l, out ImmutableArray<ulong> w)
        {
            var ids = t.Chips.Append(chip).Distinct().Order().ToList();
            var ks = new List<uint>(); var ms = new List<uint>(); var ls = new List<byte>(); var ws = new List<ulong>(); var start = new List<int>();
            foreach (var id in ids)
            {
                start.Add(ks.Count);
                int c = t.Chips.IndexOf(id);
                if (id == chip) { ks.Add(lookup.Key); ms.Add(uint.MaxValue); ls.Add(1 << 3); ws.AddRange([0, 0, 0, 0]); continue; }
                for (int e = t.EntryStart[c]; e < t.EntryStart[c + 1]; e++)
                {
                    ks.Add(t.Keys[e]); ms.Add(t.Masks[e]); ls.Add(t.Links[e]); ws.AddRange(t.Cores.Skip(4 * e).Take(4));
                }
            }
            start.Add(ks.Count);
            k = [.. ks]; m = [.. ms]; l = [.. ls]; w = [.. ws];
            return [.. start];
        }
    }
}
