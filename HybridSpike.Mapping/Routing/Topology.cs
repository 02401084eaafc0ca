using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Routing;

/// <summary>A router of the interconnect: where packets enter, leave and turn. Its coordinates are the topology's.</summary>
public sealed record Node(int X, int Y);

/// <summary>
/// The interconnect as a graph: its routing nodes, which core enters the network at which node, and
/// the directed links between neighbouring nodes. Routers (<see cref="IRouter"/>) only ever move a
/// packet along a link of <see cref="LinksFrom"/>, so a new topology is one implementation and no
/// caller changes. Loihi's is <see cref="Mesh2D"/> (a node per core, four neighbours, no wrap); a
/// SpiNNaker-style triangular torus would have a node per chip (every core of a chip shares its
/// router), six links per node at the offsets (1,0), (1,1), (0,1), (−1,0), (−1,−1), (0,−1) taken
/// modulo the grid, and every link would cross chips.
/// </summary>
public interface ITopology
{
    /// <summary>The profile's <c>routing.topology</c> name of this topology.</summary>
    string Name { get; }

    /// <summary>Every routing node, in a fixed order.</summary>
    ImmutableArray<Node> Nodes { get; }

    /// <summary>The node at which a core's packets enter and leave the network.</summary>
    Node NodeOf(CoreAddress core);

    /// <summary>The directed links from a node to each of its neighbours.</summary>
    ImmutableArray<Link> LinksFrom(Node node);

    /// <summary>Whether a single link joins the two nodes (in that direction).</summary>
    bool AreNeighbours(Node from, Node to) => LinksFrom(from).Any(l => l.To == to);

    /// <summary>Whether the link joins two chips (its cost and latency class).</summary>
    bool CrossesChips(Link link);

    /// <summary>The link's name as reports show it ("E", "W", "N", "S" on a 2D mesh).</summary>
    string Direction(Link link);
}

/// <summary>
/// Loihi's interconnect: every core is a node at its whole-mesh coordinates (<see cref="CoreAddress.X"/>,
/// <see cref="CoreAddress.Y"/>); chips continue the mesh in four directions, so the mesh is
/// <see cref="MeshLayout.Width"/> × <see cref="MeshLayout.Height"/> nodes with links to the four
/// neighbours and no wrap-around. North is towards y − 1.
/// </summary>
public sealed record Mesh2D(MeshLayout Layout) : ITopology
{
    public const string TopologyName = "mesh-2d";

    public string Name => TopologyName;

    public ImmutableArray<Node> Nodes =>
        [.. Enumerable.Range(0, Layout.Height).SelectMany(y => Enumerable.Range(0, Layout.Width).Select(x => new Node(x, y)))];

    public Node NodeOf(CoreAddress core) => new(core.X, core.Y);

    public bool Contains(Node n) => n.X >= 0 && n.X < Layout.Width && n.Y >= 0 && n.Y < Layout.Height;

    public ImmutableArray<Link> LinksFrom(Node node)
    {
        if (!Contains(node)) throw new ArgumentOutOfRangeException(nameof(node), node, $"not a node of the {Layout.Width}x{Layout.Height} mesh");
        ReadOnlySpan<(int Dx, int Dy)> offsets = [(1, 0), (-1, 0), (0, 1), (0, -1)];
        var links = ImmutableArray.CreateBuilder<Link>(offsets.Length);
        foreach (var (dx, dy) in offsets)
            if (Contains(new Node(node.X + dx, node.Y + dy))) links.Add(new Link(node.X, node.Y, node.X + dx, node.Y + dy));
        return links.ToImmutable();
    }

    public bool AreNeighbours(Node from, Node to) => Contains(from) && Contains(to) && Math.Abs(from.X - to.X) + Math.Abs(from.Y - to.Y) == 1;

    /// <summary>A link joins two chips when its ends lie on different chips of the layout.</summary>
    public bool CrossesChips(Link link) =>
        link.FromX / Layout.CoresX != link.ToX / Layout.CoresX || link.FromY / Layout.CoresY != link.ToY / Layout.CoresY;

    public string Direction(Link link) => link.Direction;
}

/// <summary>The topology a profile names in <c>routing.topology</c>.</summary>
public static class Topologies
{
    /// <summary>The valid <c>routing.topology</c> values.</summary>
    public static ImmutableArray<string> Names { get; } = [Mesh2D.TopologyName, TriangularTorus.TopologyName];

    public static ITopology For(HardwareProfile profile) => profile.Routing.Topology switch
    {
        Mesh2D.TopologyName => new Mesh2D(profile.Layout),
        TriangularTorus.TopologyName => new TriangularTorus(profile.Layout),
        var t => throw new ArgumentException($"routing.topology: unknown '{t}' (valid: {string.Join(", ", Names)}) in profile '{profile.Name}'"),
    };
}
