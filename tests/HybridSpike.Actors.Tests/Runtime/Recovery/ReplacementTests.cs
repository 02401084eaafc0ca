using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Recovery;

namespace HybridSpike.Actors.Tests.Runtime.Recovery;

public class ReplacementTests
{
    private static readonly Address A = new("akka.tcp", "hybridspike", "127.0.0.1", 4053);
    private static readonly Address B = new("akka.tcp", "hybridspike", "127.0.0.1", 4054);
    private static readonly Address C = new("akka.tcp", "hybridspike", "127.0.0.1", 4055);
    private static readonly Address D = new("akka.tcp", "hybridspike", "127.0.0.1", 4056);

    private static ImmutableArray<(int, int)> OneChipEach(int n) => [.. Enumerable.Range(0, n).Select(k => (k, 0))];

    [Fact]
    public void Cores_on_nodes_left_stay_where_they_are()
    {
        var placed = Replacement.Replace([A, B, C, A, B, C], OneChipEach(6), [C], [A, B, C], 0);
        Assert.Equal(new[] { A, B, A, B }, new[] { placed[0], placed[1], placed[3], placed[4] });
    }

    [Fact]
    public void The_lost_cores_go_to_the_least_loaded_node_left_the_first_of_equal_ones()
    {
        // A runs 1, B runs 2: C's first core goes to A (now 2), its second to A again (the first of equals).
        var placed = Replacement.Replace([A, B, B, C, C], OneChipEach(5), [C], [A, B, C], 0);
        Assert.Equal(new[] { A, A }, new[] { placed[3], placed[4] });
    }

    [Fact]
    public void A_chips_cores_move_together()
    {
        var chips = ImmutableArray.Create((0, 0), (1, 0), (2, 0), (2, 0), (2, 0));
        var placed = Replacement.Replace([A, B, C, C, C], chips, [C], [A, B, C], 0);
        Assert.Single(placed.Skip(2).Distinct());
    }

    [Fact]
    public void A_node_that_joined_during_the_run_takes_the_lost_cores_first()
    {
        var placed = Replacement.Replace([A, B, B, A], OneChipEach(4), [B], [A, B, D], 0);
        Assert.Equal(new[] { D, D }, new[] { placed[1], placed[2] });
    }

    [Fact]
    public void The_limit_per_node_splits_a_chip_that_fits_nowhere_whole()
    {
        var chips = ImmutableArray.Create((0, 0), (1, 0), (2, 0), (2, 0));
        var placed = Replacement.Replace([A, B, C, C], chips, [C], [A, B, C], 2);
        Assert.Equal(2, placed.Count(n => n.Equals(A)));
        Assert.Equal(2, placed.Count(n => n.Equals(B)));
    }

    [Fact]
    public void Without_room_left_the_error_names_the_lost_node_its_cores_and_the_room()
    {
        var e = Assert.Throws<MeshClusterException>(() => Replacement.Replace([A, B, C, C, C], OneChipEach(5), [C], [A, B, C], 2));
        Assert.Contains("recovery impossible", e.Message);
        Assert.Contains(C.ToString(), e.Message);
        Assert.Contains("core(s) 2-4", e.Message);
        Assert.Contains("room for 2 more", e.Message);
    }

    [Fact]
    public void With_no_node_left_the_error_says_so()
    {
        var e = Assert.Throws<MeshClusterException>(() => Replacement.Replace([B, C], OneChipEach(2), [B, C], [B, C], 0));
        Assert.Contains("no node is left", e.Message);
    }

    [Fact]
    public void Core_ranges_are_written_compactly() =>
        Assert.Equal("0-2, 5, 7-8", Replacement.Ranges([8, 0, 1, 2, 5, 7]));
}
