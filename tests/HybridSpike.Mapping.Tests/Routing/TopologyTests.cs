using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Tests.Routing;

public class TopologyTests
{
    private static readonly MeshLayout Layout = new(3, 2, 3, 3); // a 9x6 mesh of 3x3-core chips

    [Fact]
    public void A_2D_mesh_has_one_node_per_core_at_the_cores_whole_mesh_coordinates()
    {
        var mesh = new Mesh2D(Layout);
        Assert.Equal(Layout.Cores, mesh.Nodes.Length);
        var nodes = Enumerable.Range(0, Layout.Cores).Select(i => mesh.NodeOf(SequentialPlacement.Address(Layout, i))).ToHashSet();
        Assert.True(nodes.SetEquals(mesh.Nodes));
        Assert.Equal(new Node(4, 3), mesh.NodeOf(new CoreAddress(0, 1, 1, 1, 0, 4, 3)));
    }

    [Fact]
    public void A_2D_mesh_links_a_node_to_its_four_neighbours_without_wrapping_at_the_edges()
    {
        var mesh = new Mesh2D(Layout);
        Assert.Equal(["E", "S"], mesh.LinksFrom(new Node(0, 0)).Select(mesh.Direction).Order());
        Assert.Equal(["E", "N", "S", "W"], mesh.LinksFrom(new Node(4, 3)).Select(mesh.Direction).Order());
        Assert.Equal(["N", "W"], mesh.LinksFrom(new Node(8, 5)).Select(mesh.Direction).Order());
        Assert.All(mesh.Nodes, n => Assert.All(mesh.LinksFrom(n), l => Assert.True(mesh.AreNeighbours(l.From, l.To) && l.From == n)));
        Assert.False(mesh.AreNeighbours(new Node(0, 0), new Node(8, 0)));
        Assert.False(mesh.AreNeighbours(new Node(0, 0), new Node(1, 1)));
    }

    [Fact]
    public void A_link_crosses_chips_when_its_ends_lie_on_different_chips()
    {
        var mesh = new Mesh2D(Layout);
        Assert.False(mesh.CrossesChips(new Link(1, 1, 2, 1)));
        Assert.True(mesh.CrossesChips(new Link(2, 1, 3, 1)));  // x 2 | 3: chips (0,0) and (1,0)
        Assert.True(mesh.CrossesChips(new Link(4, 3, 4, 2)));  // y 3 | 2: chips (1,1) and (1,0)
    }

    [Fact]
    public void A_profile_chooses_its_topology_by_routing_topology()
    {
        var test = HybridSpike.Mapping.Profiles.Profiles.Get("test");
        Assert.Equal(new Mesh2D(test.Layout), Topologies.For(test));
        var e = Assert.Throws<ArgumentException>(() => Topologies.For(test with { Routing = test.Routing with { Topology = "torus-triangular" } }));
        Assert.Contains("routing.topology: unknown 'torus-triangular' (valid: mesh-2d, triangular-torus)", e.Message);
    }
}
