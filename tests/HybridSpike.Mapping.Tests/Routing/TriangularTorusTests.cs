using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Tests.Routing;

public class TriangularTorusTests
{
    private static readonly TriangularTorus Torus = new(5, 4);

    [Fact]
    public void Every_chip_has_six_different_neighbours()
    {
        foreach (var n in Torus.Nodes)
            Assert.Equal(6, Torus.LinksFrom(n).Select(l => l.To).Distinct().Count());
    }

    [Fact]
    public void The_opposite_link_leads_back()
    {
        foreach (var n in Torus.Nodes)
            for (int l = 0; l < 6; l++)
                Assert.Equal(n, Torus.Neighbour(Torus.Neighbour(n, l), TriangularTorus.Opposite(l)));
    }

    [Fact]
    public void Links_wrap_around_both_sides()
    {
        Assert.Equal(new Node(0, 3), Torus.Neighbour(new Node(4, 3), 0)); // E off the east edge
        Assert.Equal(new Node(0, 0), Torus.Neighbour(new Node(4, 3), 1)); // NE off the corner
        Assert.Equal(new Node(4, 3), Torus.Neighbour(new Node(0, 0), 4)); // SW off the corner
    }

    [Fact]
    public void Link_numbers_and_names_follow_SpiNNaker()
    {
        var at = new Node(2, 2);
        Assert.Equal(["E", "NE", "N", "W", "SW", "S"], Torus.LinksFrom(at).Select(Torus.Direction));
        Assert.Equal(1, Torus.LinkNumber(new Link(at, new Node(3, 3))));
    }

    [Fact]
    public void Hops_are_the_shortest_path_over_the_links()
    {
        foreach (var from in Torus.Nodes)
        {
            var distance = new Dictionary<Node, int> { [from] = 0 };
            var queue = new Queue<Node>([from]);
            while (queue.Count > 0)
            {
                var n = queue.Dequeue();
                foreach (var l in Torus.LinksFrom(n))
                    if (distance.TryAdd(l.To, distance[n] + 1)) queue.Enqueue(l.To);
            }
            foreach (var to in Torus.Nodes)
                Assert.Equal(distance[to], Torus.Hops(from, to));
        }
    }

    [Fact]
    public void Longest_dimension_first_paths_are_shortest_and_arrive()
    {
        foreach (var from in Torus.Nodes)
            foreach (var to in Torus.Nodes)
            {
                var path = Torus.LongestDimensionFirst(from, to);
                Assert.Equal(Torus.Hops(from, to), path.Length);
                var at = from;
                foreach (var l in path)
                {
                    Assert.Equal(at, l.From);
                    Assert.True(Torus.AreNeighbours(l.From, l.To), $"{l} is not a link");
                    at = l.To;
                }
                Assert.Equal(to, at);
            }
    }

    [Fact]
    public void The_longest_axis_goes_first()
    {
        var big = new TriangularTorus(12, 12);
        // (3, 1) is 2 east and 1 north-east: the x axis (2 steps) first.
        Assert.Equal("E E NE", string.Join(' ', big.LongestDimensionFirst(new Node(0, 0), new Node(3, 1)).Select(big.Direction)));
        // (1, 3) is 1 north-east and 2 north.
        Assert.Equal("N N NE", string.Join(' ', big.LongestDimensionFirst(new Node(0, 0), new Node(1, 3)).Select(big.Direction)));
        // (2, -1) has opposite signs: no diagonal.
        Assert.Equal("E E S", string.Join(' ', big.LongestDimensionFirst(new Node(5, 5), new Node(7, 4)).Select(big.Direction)));
    }

    [Fact]
    public void The_shorter_way_round_is_taken()
    {
        var big = new TriangularTorus(12, 12);
        Assert.Equal("W W", string.Join(' ', big.LongestDimensionFirst(new Node(1, 0), new Node(11, 0)).Select(big.Direction)));
    }

    [Fact]
    public void A_core_enters_at_its_chip()
    {
        Assert.Equal(new Node(3, 2), Torus.NodeOf(new CoreAddress(0, 3, 2, 1, 1, 7, 5)));
    }

    [Fact]
    public void Fewer_than_three_chips_a_side_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TriangularTorus(2, 5));
        Assert.Contains("at least 3 chips along x", e.Message);
    }
}
