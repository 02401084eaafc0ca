using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

public class KeyAllocationTests
{
    // p0: 40 units in 3 pieces (16, 16, 8); p1: 20 in 2; p2: 5 in 1 (sends nothing: the last).
    private static readonly PlacedNetwork Placed = TableCases.Placed(TableCases.Chain(40, 20, 5), TableCases.Torus(3, 3), 0, 1, 2, 3, 4, 5);
    private static readonly KeyAllocation Keys = KeyAllocation.Allocate(Placed);

    [Fact]
    public void A_core_that_sends_nothing_gets_no_key() => Assert.Null(Keys.Keys[5]);

    [Fact]
    public void Every_unit_of_a_core_matches_its_entry()
    {
        for (int k = 0; k < 5; k++)
        {
            var key = Keys.Of(k);
            for (int u = 0; u < Placed.Placements[k].Piece.Count; u++)
                Assert.True(key.Match.Matches(key.KeyOf(u)), $"core {k} unit {u}");
        }
    }

    [Fact]
    public void No_two_cores_share_a_key()
    {
        for (int a = 0; a < 5; a++)
            for (int b = a + 1; b < 5; b++)
                Assert.False(Keys.Of(a).Match.Intersects(Keys.Of(b).Match), $"cores {a} and {b}");
    }

    [Fact]
    public void Fields_are_population_then_piece_then_unit()
    {
        // 2 sending populations: 1 bit; p0 needs 2 piece bits and 4 unit bits (16 units), p1 1 + 4.
        Assert.Equal(1, Keys.PopulationBits);
        Assert.Equal(6, Keys.LowBits);
        Assert.Equal(0b0_10_0000u, Keys.Of(2).Match.Key); // p0, piece 2
        Assert.Equal(0b1_01_0000u, Keys.Of(4).Match.Key); // p1, piece 1
        Assert.Equal(~0b1111u, Keys.Of(4).Match.Mask);
    }

    [Fact]
    public void A_unit_outside_its_field_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Keys.Of(0).KeyOf(16));

    [Fact]
    public void A_key_space_over_32_bits_is_an_error_naming_the_population()
    {
        // 2^10 populations, and one with 2^20 cores of 8 units: 10 + 20 + 3 = 33 bits.
        var spaces = Enumerable.Range(0, 1024).Select(i => new KeySpace($"p{i}", i == 7 ? 1 << 20 : 1, 8)).ToImmutableArray();
        var e = Assert.Throws<CompileException>(() => KeyAllocation.Widths(spaces));
        Assert.Equal("keys: 33 bits needed, limit 32: 10 to number 1024 sending populations, and population 'p7' needs 20 for its 1048576 cores and 3 for up to 8 units per core", e.Message);
    }

    [Fact]
    public void A_key_space_of_exactly_32_bits_fits()
    {
        var spaces = Enumerable.Range(0, 1024).Select(i => new KeySpace($"p{i}", i == 7 ? 1 << 19 : 1, 8)).ToImmutableArray();
        Assert.Equal((10, 22), KeyAllocation.Widths(spaces));
    }
}
