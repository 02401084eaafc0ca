using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Tests.Compile;

public class PlacementCheckTests
{
    /// <summary>A placer that returns whatever placements it is told to, from the sequential ones.</summary>
    private sealed class Rigged(Func<SplitNetwork, ImmutableArray<Placement>, ImmutableArray<Placement>> rig) : IPlacementStrategy
    {
        public string Name => "rigged";

        public PlacedNetwork Place(PlacementContext context)
        {
            var placed = new SequentialPlacement().Place(context);
            return placed with { Placements = rig(context.Split, placed.Placements) };
        }
    }

    private static string Fault(Func<SplitNetwork, ImmutableArray<Placement>, ImmutableArray<Placement>> rig)
    {
        var split = PlacementCases.Interleaved(); // p0..p7, one piece each, on cores 0..7
        var placed = new Rigged(rig).Place(PlacementContext.For(split));
        return Assert.Throws<CompileException>(() => PlacementCheck.Validate(placed, split.Profile)).Message;
    }

    private static CoreAddress At(int index) => SequentialPlacement.Address(PlacementCases.Test.Layout, index);

    [Fact]
    public void Two_pieces_on_one_core_is_an_error_naming_the_core_its_chip_and_both_pieces()
    {
        Assert.Equal("place: core 4 at chip (1,0) holds two pieces: p4[0..15] and p5[0..15]",
            Fault((_, ps) => ps.SetItem(5, ps[5] with { Core = At(4) })));
    }

    [Fact]
    public void A_piece_left_out_is_an_error_naming_it()
    {
        Assert.Equal("place: piece p7[0..15] is not placed", Fault((_, ps) => ps.RemoveAt(7)));
    }

    [Fact]
    public void A_piece_placed_twice_is_an_error_naming_it()
    {
        Assert.Equal("place: piece p0[0..15] is placed twice (again on core 9)", Fault((_, ps) => ps.Add(ps[0] with { Core = At(9) })));
    }

    [Fact]
    public void A_piece_not_of_the_split_is_an_error_naming_it()
    {
        Assert.Equal("place: piece q[0..3] on core 9 is not a piece of the split network",
            Fault((_, ps) => ps.Add(new Placement(ps[0].Piece with { Population = "q", Count = 4 }, At(9)))));
    }

    [Fact]
    public void A_core_outside_the_profile_is_an_error_naming_the_core_and_the_profile()
    {
        Assert.Equal("place: piece p3[0..15] is on core 16, outside profile 'test' (cores 0..15)",
            Fault((_, ps) => ps.SetItem(3, ps[3] with { Core = ps[3].Core with { Index = 16 } })));
    }

    [Fact]
    public void An_address_that_disagrees_with_its_core_number_is_an_error_naming_both()
    {
        Assert.Equal("place: core 2 of piece p2[0..15] has address chip (1,0) core (0,1) mesh (0,1), but core 2 is chip (0,0) core (0,1) mesh (0,1)",
            Fault((_, ps) => ps.SetItem(2, ps[2] with { Core = ps[2].Core with { ChipX = 1 } })));
    }

    [Fact]
    public void A_piece_over_a_core_limit_is_an_error_naming_the_core_and_the_limit()
    {
        // The split fits the test profile; checked against one with half the units a core, p0 is over.
        var split = PlacementCases.Interleaved();
        var placed = new SequentialPlacement().Place(PlacementContext.For(split));
        var small = split.Profile with { Core = split.Profile.Core with { Units = 8 } };
        var e = Assert.Throws<CompileException>(() => PlacementCheck.Validate(placed, small));
        Assert.Equal("place: core 0 at chip (0,0): piece p0[0..15] has 16 units, more than core.units (8)", e.Message);
    }

    [Fact]
    public void The_compiler_checks_every_placers_output()
    {
        var split = PlacementCases.Interleaved();
        var e = Assert.Throws<CompileException>(() => Compiler.Compile(split.Network, split.Profile, new Rigged((_, ps) => ps.RemoveAt(0))));
        Assert.Equal("place: piece p0[0..15] is not placed", e.Message);
    }

    [Fact]
    public void Every_built_in_placer_passes_the_check()
    {
        var split = PlacementCases.Interleaved();
        foreach (IPlacementStrategy placer in new IPlacementStrategy[] { new SequentialPlacement(), new RandomPlacement(3), new GreedyInterchipPlacement(), new PartitionPlacement() })
            PlacementCheck.Validate(placer.Place(PlacementContext.For(split)), split.Profile); // throws on a fault
    }
}
