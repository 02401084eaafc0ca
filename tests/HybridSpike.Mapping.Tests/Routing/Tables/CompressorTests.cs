using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;
using HybridSpike.Mapping.Routing.Tables.Compressors;
using static HybridSpike.Mapping.Tests.Routing.Tables.TableEquivalenceTests;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

/// <summary>
/// The pair and ordered-covering compressors on hand-made tables where a merge is legal, where it
/// would steal a later entry's keys, and where it would capture a default-routed key; and on random
/// structured tables, always checked by <see cref="TableEquivalence"/> against the input.
/// </summary>
public class CompressorTests
{
    private static readonly Node Chip = new(0, 1);
    private static readonly ChipRoute R1 = ChipRoute.Drop.WithLink(0);
    private static readonly ChipRoute R2 = ChipRoute.Drop.WithLink(2).WithCore(7);

    public static TheoryData<string> Compressors => ["pair", "ordered-covering"];

    private static IRoutingTableCompressor Make(string name) => name switch
    {
        "pair" => new PairCompressor(),
        "ordered-covering" => new OrderedCoveringCompressor(),
        _ => throw new ArgumentException(name),
    };

    private static RoutingTable Table(string[] defaults, params (string Match, ChipRoute Route)[] entries) =>
        new(Chip, [.. entries.Select(e => new RoutingEntry(K(e.Match), e.Route))], [.. defaults.Select(K)]);

    private static RoutingTable CompressChecked(string name, RoutingTable table, int target = 0)
    {
        var c = Make(name).Compress(table, target);
        Assert.Empty(TableEquivalence.Differences(table, c));
        return c;
    }

    [Theory, MemberData(nameof(Compressors))]
    public void The_name_is_the_one_reports_use(string name) => Assert.Equal(name, Make(name).Name);

    [Theory, MemberData(nameof(Compressors))]
    public void Legal_merges_make_the_table_smaller(string name)
    {
        var table = Table(["1000"], ("0000", R1), ("0001", R1), ("0100", R2), ("0110", R2));
        Assert.Equal(2, CompressChecked(name, table).Count);
    }

    [Theory, MemberData(nameof(Compressors))]
    public void A_merge_may_cover_keys_of_an_entry_above_it(string name)
    {
        // 00XX (R2) covers 0001 (R1): legal only because R1's entry stays above it.
        var table = Table([], ("0001", R1), ("0000", R2), ("0011", R2), ("0010", R2));
        Assert.Equal(2, CompressChecked(name, table).Count);
    }

    [Theory, MemberData(nameof(Compressors))]
    public void A_merge_that_would_steal_a_key_of_a_later_entry_with_another_route_is_not_made(string name)
    {
        // R1's 0000 and 0011 merge to 00XX, which would take 0001 from R2, whose (larger) group sits below.
        var table = Table([], ("0000", R1), ("0001", R2), ("0011", R1), ("1000", R2), ("1100", R2));
        Assert.Equal(3, CompressChecked(name, table).Count);
    }

    [Theory, MemberData(nameof(Compressors))]
    public void A_merge_that_would_capture_a_default_routed_key_is_not_made(string name)
    {
        var table = Table(["0001", "0100"], ("0000", R1), ("0011", R1), ("0101", R2), ("0110", R2));
        Assert.Equal(4, CompressChecked(name, table).Count);
    }

    [Theory, MemberData(nameof(Compressors))]
    public void The_default_routed_keys_are_kept(string name)
    {
        var table = Table(["0001", "0100"], ("0000", R1), ("0011", R1));
        Assert.Equal(table.DefaultRouted.ToArray(), Make(name).Compress(table, 0).DefaultRouted.ToArray());
    }

    [Theory, MemberData(nameof(Compressors))]
    public void An_entry_that_matches_a_default_routed_key_is_refused_naming_chip_and_entry(string name)
    {
        var table = Table(["0001"], ("0000", R1), ("00XX", R2));
        var e = Assert.Throws<CompileException>(() => Make(name).Compress(table, 0));
        Assert.Contains("chip (0,1): entry 1", e.Message);
    }

    [Fact]
    public void Pair_refuses_a_table_it_would_have_to_reorder_across_an_overlap()
    {
        // R2 has one entry, so it would go first, above the overlapping R1 entry that outranks it here.
        var table = Table([], ("0011", R1), ("0000", R1), ("00XX", R2));
        var e = Assert.Throws<CompileException>(() => new PairCompressor().Compress(table, 0));
        Assert.Contains("entries 0 (", e.Message);
    }

    [Fact]
    public void Ordered_covering_keeps_an_overlapping_table_correct()
    {
        var table = Table([], ("0011", R1), ("0000", R1), ("00XX", R2), ("0100", R2));
        Assert.True(CompressChecked("ordered-covering", table).Count < table.Count);
    }

    private static Arbitrary<(int Seed, int Entries, int Routes, int DefaultPercent)> Cases() =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from entries in Gen.Choose(1, 120)
         from routes in Gen.Choose(1, 4)
         from def in Gen.Choose(0, 40)
         select (seed, entries, routes, def)).ToArbitrary();

    private static RoutingTable RandomInput((int Seed, int Entries, int Routes, int DefaultPercent) c, out ChipTable chip)
    {
        chip = RandomTables.Structured(c.Seed, c.Entries, c.Routes, c.DefaultPercent);
        return chip.WithoutDefaultRoutes;
    }

    [Theory, MemberData(nameof(Compressors))]
    public void Random_tables_compress_to_tables_equivalent_to_the_input(string name) =>
        Prop.ForAll(Cases(), c =>
        {
            var table = RandomInput(c, out _);
            return TableEquivalence.Differences(table, Make(name).Compress(table, 0)).IsEmpty;
        }).QuickCheckThrowOnFailure();

    [Theory, MemberData(nameof(Compressors))]
    public void Random_tables_compress_to_tables_equivalent_to_the_chip_table_they_came_from(string name) =>
        Prop.ForAll(Cases(), c =>
        {
            var table = RandomInput(c, out var chip);
            return TableEquivalence.Differences(chip, Make(name).Compress(table, 0)).IsEmpty;
        }).QuickCheckThrowOnFailure();

    [Theory, MemberData(nameof(Compressors))]
    public void Random_tables_never_grow(string name) =>
        Prop.ForAll(Cases(), c =>
        {
            var table = RandomInput(c, out _);
            return Make(name).Compress(table, 0).Count <= table.Count;
        }).QuickCheckThrowOnFailure();

    [Property(MaxTest = 50)]
    public Property Ordered_covering_stops_at_a_reachable_target() =>
        Prop.ForAll(Cases(), Gen.Choose(0, 100).ToArbitrary(), (c, share) =>
        {
            var (table, full, target) = Targeted(c, share);
            return new OrderedCoveringCompressor().Compress(table, target).Count <= target;
        });

    [Property(MaxTest = 50)]
    public Property Ordered_covering_stopped_at_a_target_goes_no_further_than_full_compression_and_stays_equivalent() =>
        Prop.ForAll(Cases(), Gen.Choose(0, 100).ToArbitrary(), (c, share) =>
        {
            var (table, full, target) = Targeted(c, share);
            var stopped = new OrderedCoveringCompressor().Compress(table, target);
            return (stopped.Count >= full).Label("no smaller than full compression")
                .And(TableEquivalence.Differences(table, stopped).IsEmpty.Label("equivalent"));
        });

    /// <summary>A random table, its fully compressed size, and a target between that and its own size.</summary>
    private static (RoutingTable Table, int Full, int Target) Targeted((int Seed, int Entries, int Routes, int DefaultPercent) c, int share)
    {
        var table = RandomInput(c, out _);
        int full = new OrderedCoveringCompressor().Compress(table, 0).Count;
        return (table, full, full + (table.Count - full) * share / 100);
    }

    [Fact]
    public void Compressing_the_same_table_twice_gives_the_same_entries()
    {
        var table = RandomTables.Structured(7, 300, 3, 20).WithoutDefaultRoutes;
        foreach (var name in new[] { "pair", "ordered-covering" })
            Assert.Equal(Make(name).Compress(table, 0).Entries.ToArray(), Make(name).Compress(table, 0).Entries.ToArray());
    }
}
