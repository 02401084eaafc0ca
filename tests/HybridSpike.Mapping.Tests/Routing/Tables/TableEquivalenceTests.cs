using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

/// <summary>The symbolic checker finds each kind of difference, and only real ones.</summary>
public class TableEquivalenceTests
{
    private static readonly Node Chip = new(1, 0);
    private static readonly ChipRoute R1 = ChipRoute.Drop.WithLink(1);
    private static readonly ChipRoute R2 = ChipRoute.Drop.WithCore(3);
    private static readonly ChipRoute R3 = ChipRoute.Drop.WithLink(4).WithCore(0);

    /// <summary>A key/mask on the low 4 bits ('0', '1', 'X', most significant first); every other bit X.</summary>
    internal static KeyMask K(string bits)
    {
        uint key = 0, mask = 0;
        foreach (var c in bits)
        {
            key <<= 1; mask <<= 1;
            if (c != 'X') { mask |= 1; if (c == '1') key |= 1; }
        }
        return new KeyMask(key, mask);
    }

    private static RoutingTable Table(params (string Match, ChipRoute Route)[] entries) =>
        new(Chip, [.. entries.Select(e => new RoutingEntry(K(e.Match), e.Route))], []);

    [Fact]
    public void A_smaller_table_with_the_same_routes_has_no_differences()
    {
        var original = Table(("0000", R1), ("0001", R1), ("1000", R2));
        var compressed = Table(("000X", R1), ("1000", R2));
        Assert.Empty(TableEquivalence.Differences(original, compressed));
    }

    [Fact]
    public void A_wrong_route_is_found_with_its_keys_and_both_routes()
    {
        var original = Table(("0000", R1), ("01XX", R2));
        var compressed = Table(("0000", R1), ("01XX", R3));
        var d = Assert.Single(TableEquivalence.Differences(original, compressed));
        Assert.Equal(K("01XX"), d.Keys);
        Assert.Equal(new TableOutcome.Routed(R2), d.Expected);
        Assert.Equal(new TableOutcome.Routed(R3), d.Actual);
    }

    [Fact]
    public void Keys_left_without_an_entry_that_need_one_are_found()
    {
        var original = Table(("0000", R1), ("01XX", R2));
        var compressed = Table(("0000", R1), ("010X", R2));
        var d = Assert.Single(TableEquivalence.Differences(original, compressed));
        Assert.Equal(K("011X"), d.Keys);
        Assert.Equal(TableOutcome.NoEntry.Instance, d.Actual);
    }

    [Fact]
    public void A_default_routed_key_that_now_matches_an_entry_is_found()
    {
        var original = Table(("0000", R1)) with { DefaultRouted = [K("0001")] };
        var compressed = Table(("000X", R1)) with { DefaultRouted = [K("0001")] };
        var d = Assert.Single(TableEquivalence.Differences(original, compressed));
        Assert.Equal(K("0001"), d.Keys);
        Assert.Equal(TableOutcome.NoEntry.Instance, d.Expected);
        Assert.Equal(new TableOutcome.Routed(R1), d.Actual);
    }

    [Fact]
    public void Swapping_overlapping_entries_so_the_general_one_shadows_the_specific_one_is_found()
    {
        var original = Table(("0011", R1), ("00XX", R2));
        var swapped = Table(("00XX", R2), ("0011", R1));
        var d = Assert.Single(TableEquivalence.Differences(original, swapped));
        Assert.Equal(K("0011"), d.Keys);
        Assert.Equal(new TableOutcome.Routed(R1), d.Expected);
        Assert.Equal(new TableOutcome.Routed(R2), d.Actual);
    }

    [Fact]
    public void An_original_entry_shadowed_by_an_earlier_one_is_judged_by_first_match_there_too()
    {
        // In the original, 0011 goes by R1 (first match); a compressed table that sends all of 00XX by R2 is wrong only there.
        var original = Table(("0011", R1), ("00XX", R2));
        var compressed = Table(("00XX", R2));
        var d = Assert.Single(TableEquivalence.Differences(original, compressed));
        Assert.Equal(K("0011"), d.Keys);
    }

    [Fact]
    public void A_chip_table_lets_a_default_routable_source_go_unmatched_but_not_another()
    {
        var passing = ChipRoute.Drop.WithLink(TriangularTorus.Opposite(2));
        var chip = new ChipTable(Chip, [
            new SourceRoute(0, K("0000"), 2, passing),
            new SourceRoute(1, K("0001"), 2, R1),
        ]);
        var compressed = new RoutingTable(Chip, [], []);
        var d = Assert.Single(TableEquivalence.Differences(chip, compressed));
        Assert.Equal(K("0001"), d.Keys);
    }

    [Fact]
    public void A_chip_table_still_wants_a_default_routable_source_s_own_route_when_an_entry_matches_it()
    {
        var passing = ChipRoute.Drop.WithLink(TriangularTorus.Opposite(2));
        var chip = new ChipTable(Chip, [new SourceRoute(0, K("0000"), 2, passing), new SourceRoute(1, K("0001"), null, R1)]);
        var compressed = Table(("000X", R1));
        var d = Assert.Single(TableEquivalence.Differences(chip, compressed));
        Assert.Equal(K("0000"), d.Keys);
    }

    [Fact]
    public void Ensure_names_the_chip_and_the_keys()
    {
        var original = Table(("0000", R1), ("01XX", R2));
        var compressed = Table(("0000", R1), ("01XX", R3));
        var e = Assert.Throws<CompileException>(() => TableEquivalence.EnsureEquivalent(original, compressed));
        Assert.Contains("chip (1,0)", e.Message);
        Assert.Contains(K("01XX").ToString(), e.Message);
    }

    private static Arbitrary<(KeyMask A, KeyMask B)> SmallCubes() =>
        (from ka in Gen.Choose(0, 255) from ma in Gen.Choose(0, 255)
         from kb in Gen.Choose(0, 255) from mb in Gen.Choose(0, 255)
         select (new KeyMask((uint)(ka & ma), (uint)ma | 0xFFFFFF00u), new KeyMask((uint)(kb & mb), (uint)mb | 0xFFFFFF00u)))
        .ToArbitrary();

    /// <summary>A − B, checked key by key over the 256 keys the cubes can hold.</summary>
    [Property(MaxTest = 200)]
    public Property Cube_difference_is_exactly_the_keys_of_A_outside_B_in_disjoint_cubes() =>
        Prop.ForAll(SmallCubes(), c =>
        {
            var pieces = new List<KeyMask>();
            TableEquivalence.AddDifference(c.A, c.B, pieces);
            for (uint k = 0; k < 256; k++)
            {
                int hits = pieces.Count(p => p.Matches(k));
                bool expected = c.A.Matches(k) && !c.B.Matches(k);
                if (hits != (expected ? 1 : 0)) return false;
            }
            return true;
        });
}
