using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Compile;

public class PartitionPlacementTests
{
    [Fact]
    public void Partition_sends_fewer_packets_between_chips_than_sequential_when_sequential_interleaves_two_groups()
    {
        var split = PlacementCases.Interleaved();
        double sequential = PlacementCases.InterChip(new SequentialPlacement(), split);
        double partition = PlacementCases.InterChip(new PartitionPlacement(), split);
        Assert.True(sequential > 0, $"sequential should cut the groups, got {sequential}");
        Assert.True(partition < sequential, $"partition {partition} packets/step between chips, sequential {sequential}");
    }

    public static TheoryData<int, int, ulong> Graphs() => new()
    {
        { 10, 4, 1 }, { 16, 4, 2 }, { 23, 4, 3 }, { 30, 5, 4 }, { 40, 8, 5 }, { 37, 6, 6 }, { 48, 4, 7 }, { 64, 8, 8 },
    };

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Parts_never_exceed_a_chips_cores(int pieces, int perChip, ulong seed)
    {
        var parts = PartitionPlacement.Parts(TrafficGraph.Of(pieces, PlacementCases.RandomTraffic(pieces, seed)), perChip);
        Assert.All(parts, p => Assert.InRange(p.Count, 1, perChip));
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Parts_are_no_more_than_the_chips_the_pieces_need(int pieces, int perChip, ulong seed)
    {
        var parts = PartitionPlacement.Parts(TrafficGraph.Of(pieces, PlacementCases.RandomTraffic(pieces, seed)), perChip);
        Assert.InRange(parts.Count, 1, (pieces + perChip - 1) / perChip);
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Parts_hold_every_piece_once(int pieces, int perChip, ulong seed)
    {
        var parts = PartitionPlacement.Parts(TrafficGraph.Of(pieces, PlacementCases.RandomTraffic(pieces, seed)), perChip);
        Assert.Equal(Enumerable.Range(0, pieces), parts.SelectMany(p => p).Order());
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void The_partition_cut_is_no_larger_than_greedys(int pieces, int perChip, ulong seed)
    {
        var graph = TrafficGraph.Of(pieces, PlacementCases.RandomTraffic(pieces, seed));
        double partition = graph.Cut(PlacementCases.PartOf(pieces, PartitionPlacement.Parts(graph, perChip)));
        double greedy = graph.Cut(PlacementCases.PartOf(pieces, GreedyInterchipPlacement.Groups(graph, perChip)));
        Assert.True(partition <= greedy + 1e-9, $"partition cut {partition}, greedy cut {greedy}");
    }

    [Fact]
    public void Placing_twice_gives_equal_placements()
    {
        var context = PlacementContext.For(PlacementCases.Interleaved());
        Assert.Equal(new PartitionPlacement().Place(context).Placements.ToArray(), new PartitionPlacement().Place(context).Placements.ToArray());
    }

    [Fact]
    public void Every_piece_is_placed_once_on_its_own_core_and_passes_the_placement_check()
    {
        var split = PlacementCases.Interleaved();
        var placed = new PartitionPlacement().Place(PlacementContext.For(split));
        Assert.Equal(split.Pieces, placed.Placements.Select(p => p.Piece));
        Assert.Equal(split.Pieces.Length, placed.Placements.Select(p => p.Core.Index).Distinct().Count());
        PlacementCheck.Validate(placed, split.Profile); // throws on any fault
    }

    [Fact]
    public void More_pieces_than_cores_is_an_error_naming_the_counts()
    {
        var split = PlacementCases.Interleaved();
        var small = split with { Profile = split.Profile with { Layout = new MeshLayout(1, 1, 2, 2) } };
        var e = Assert.Throws<CompileException>(() => new PartitionPlacement().Place(PlacementContext.For(small)));
        Assert.Equal("place: 8 pieces need more cores than profile 'test' has (4)", e.Message);
    }

    [Fact]
    public void No_pieces_place_nothing()
    {
        Assert.Empty(PartitionPlacement.Parts(TrafficGraph.Of(0, new TrafficEstimate([])), 4));
    }
}
