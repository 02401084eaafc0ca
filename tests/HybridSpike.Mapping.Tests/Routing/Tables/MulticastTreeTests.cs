using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

public class MulticastTreeTests
{
    private static readonly TriangularTorus Torus = new(8, 8);

    private static MulticastTree Tree(Node root, params Node[] destinations) =>
        MulticastTree.Build(Torus, 0, root, destinations.ToDictionary(d => d, _ => CoreSet.Of([0])));

    private static TreeNode At(MulticastTree t, Node n) => t.Nodes.Single(x => x.Chip == n);

    [Fact]
    public void Destinations_in_a_line_share_the_path()
    {
        var t = Tree(new Node(0, 0), new Node(1, 0), new Node(2, 0), new Node(3, 0));
        Assert.Equal(3, t.LinkCount); // not 1 + 2 + 3
    }

    [Fact]
    public void The_packet_is_copied_where_branches_part()
    {
        // From (0,0): (2,0) is E E and (2,2) is NE NE, so they part at the root; (3,0) is one more E after (2,0).
        var t = Tree(new Node(0, 0), new Node(2, 0), new Node(2, 2), new Node(3, 0));
        Assert.Equal([0, 1], At(t, new Node(0, 0)).Route.LinkNumbers.ToArray()); // E and NE leave the root
        Assert.Equal(5, t.LinkCount);
    }

    [Fact]
    public void Every_chip_is_reached_once_and_arrivals_point_back_to_the_parent()
    {
        var root = new Node(3, 3);
        var t = Tree(root, [.. Torus.Nodes.Where((_, i) => i % 3 == 0)]);
        Assert.Equal(t.Nodes.Length, t.Nodes.Select(n => n.Chip).Distinct().Count());
        Assert.Null(At(t, root).Arrival);
        var byChip = t.Nodes.ToDictionary(n => n.Chip);
        foreach (var n in t.Nodes.Where(n => n.Chip != root))
        {
            var parent = Torus.Neighbour(n.Chip, n.Arrival!.Value);
            Assert.True(byChip[parent].Route.HasLink(TriangularTorus.Opposite(n.Arrival.Value)), $"{parent} does not send to {n.Chip}");
        }
        // Links = chips − 1: a tree.
        Assert.Equal(t.Nodes.Length - 1, t.LinkCount);
    }

    [Fact]
    public void A_destination_beyond_the_tree_adds_only_its_new_links()
    {
        // (2,1) first: E, NE through (1,0). Then (4,1): E E E NE through (1,0), (2,0), (3,0); only (1,0) is
        // in the tree already, so the new branch leaves from there with 3 links.
        var t = Tree(new Node(0, 0), new Node(2, 1), new Node(4, 1));
        Assert.Equal(t.Nodes.Length - 1, t.LinkCount);
        Assert.Equal(Torus.Hops(new Node(0, 0), new Node(2, 1)) + 3, t.LinkCount);
    }

    [Fact]
    public void Local_cores_are_on_their_chip()
    {
        var t = MulticastTree.Build(Torus, 0, new Node(0, 0), new Dictionary<Node, CoreSet> { [new Node(0, 0)] = CoreSet.Of([1, 2]), [new Node(1, 0)] = CoreSet.Of([3]) });
        Assert.Equal([1, 2], At(t, new Node(0, 0)).Route.Cores.Cores.ToArray());
        Assert.Equal([3], At(t, new Node(1, 0)).Route.Cores.Cores.ToArray());
    }

    [Fact]
    public void A_destination_off_the_torus_is_an_error_naming_it()
    {
        var e = Assert.Throws<CompileException>(() => Tree(new Node(0, 0), new Node(9, 0)));
        Assert.Equal("route: core 0's destination chip (9,0) is outside the 8x8 torus", e.Message);
    }
}
