using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Compile;

public class GreedyInterchipPlacementTests
{
    [Fact]
    public void Greedy_sends_fewer_packets_between_chips_than_sequential_when_sequential_interleaves_two_groups()
    {
        var split = PlacementCases.Interleaved();
        double sequential = PlacementCases.InterChip(new SequentialPlacement(), split);
        double greedy = PlacementCases.InterChip(new GreedyInterchipPlacement(), split);
        Assert.True(sequential > 0, $"sequential should cut the groups, got {sequential}");
        Assert.True(greedy < sequential, $"greedy {greedy} packets/step between chips, sequential {sequential}");
    }

    [Fact]
    public void Greedy_puts_each_communicating_group_on_one_chip()
    {
        var placed = new GreedyInterchipPlacement().Place(PlacementContext.For(PlacementCases.Interleaved()));
        var chipOf = placed.Placements.ToDictionary(p => p.Piece.Population, p => (p.Core.ChipX, p.Core.ChipY));
        Assert.Single(new[] { "p0", "p2", "p4", "p6" }.Select(p => chipOf[p]).Distinct());
        Assert.Single(new[] { "p1", "p3", "p5", "p7" }.Select(p => chipOf[p]).Distinct());
        Assert.NotEqual(chipOf["p0"], chipOf["p1"]);
    }

    [Fact]
    public void A_chip_starts_from_the_piece_with_most_traffic_and_grows_by_traffic_to_it_ties_to_the_lowest_index()
    {
        // 0-1 light, 2-3 heavy, 3-1 medium: chip one starts at 3 (most traffic, 10+4), takes 2 (10), then full.
        var traffic = new TrafficEstimate([new PieceTraffic(0, 1, 1, 1), new PieceTraffic(2, 3, 10, 10), new PieceTraffic(3, 1, 4, 4)]);
        var groups = GreedyInterchipPlacement.Groups(TrafficGraph.Of(5, traffic), 2);
        Assert.Equal([[3, 2], [1, 0], [4]], groups.Select(g => g.ToArray()).ToArray());
    }

    [Fact]
    public void Placing_twice_gives_equal_placements()
    {
        var context = PlacementContext.For(PlacementCases.Interleaved());
        Assert.Equal(new GreedyInterchipPlacement().Place(context).Placements.ToArray(), new GreedyInterchipPlacement().Place(context).Placements.ToArray());
    }

    [Fact]
    public void Every_piece_is_placed_once_on_its_own_core_and_passes_the_placement_check()
    {
        var split = PlacementCases.Interleaved();
        var placed = new GreedyInterchipPlacement().Place(PlacementContext.For(split));
        Assert.Equal(split.Pieces, placed.Placements.Select(p => p.Piece));
        Assert.Equal(split.Pieces.Length, placed.Placements.Select(p => p.Core.Index).Distinct().Count());
        PlacementCheck.Validate(placed, split.Profile); // throws on any fault
    }

    [Fact]
    public void Chips_with_heavy_traffic_between_them_are_neighbours()
    {
        // Three one-piece groups on a 3x1 row of one-core chips: 0-2 heavy, 2-1 heavy, 0-1 none.
        // Chip order by traffic × distance puts 2 between 0 and 1 (in index order 0 and 2 would be two chips apart).
        var test = PlacementCases.Test;
        var layout = new MeshLayout(3, 1, 1, 1);
        var traffic = new TrafficEstimate([new PieceTraffic(0, 2, 8, 8), new PieceTraffic(2, 1, 8, 8), new PieceTraffic(0, 1, 0, 0)]);
        var groups = new IReadOnlyList<int>[] { [0], [1], [2] };
        var split = PlacementCases.Interleaved() with { Profile = test with { Layout = layout } };
        split = split with { Pieces = split.Pieces[..3] };
        var placed = TrafficGraph.Assign(split, TrafficGraph.Of(3, traffic), groups);
        Assert.Equal(1, TrafficGraph.ChipDistance(layout, placed.Placements[0].Core.ChipX, placed.Placements[2].Core.ChipX));
        Assert.Equal(1, TrafficGraph.ChipDistance(layout, placed.Placements[2].Core.ChipX, placed.Placements[1].Core.ChipX));
    }

    [Fact]
    public void More_pieces_than_cores_is_an_error_naming_the_counts()
    {
        var split = PlacementCases.Interleaved();
        var small = split with { Profile = split.Profile with { Layout = new MeshLayout(1, 1, 2, 2) } };
        var e = Assert.Throws<CompileException>(() => new GreedyInterchipPlacement().Place(PlacementContext.For(small)));
        Assert.Equal("place: 8 pieces need more cores than profile 'test' has (4)", e.Message);
    }
}
