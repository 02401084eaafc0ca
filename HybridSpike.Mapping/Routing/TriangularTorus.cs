using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Routing;

/// <summary>
/// SpiNNaker's interconnect: one router per chip, shared by all the chip's cores, so a node is a chip
/// (<see cref="CoreAddress.ChipX"/>, <see cref="CoreAddress.ChipY"/>) and every link crosses chips.
/// Each chip has six links, numbered as SpiNNaker numbers them, to the chips at the offsets
/// (1,0) E, (1,1) NE, (0,1) N, (−1,0) W, (−1,−1) SW, (0,−1) S, taken modulo the grid: a triangular
/// torus (Furber et al., Proc. IEEE 2014; spinn_machine's link numbering). Link L and link (L + 3) mod 6
/// point in opposite directions, which default routing relies on. North is towards y + 1 here.
/// Both sides need at least 3 chips so that the six neighbours of a chip are six different chips
/// (on 2 the east and west neighbour would be one chip and a link's number would be ambiguous).
/// </summary>
public sealed record TriangularTorus : ITopology
{
    public const string TopologyName = "triangular-torus";

    /// <summary>The six link offsets, by link number (E, NE, N, W, SW, S).</summary>
    public static ImmutableArray<(int Dx, int Dy)> Offsets { get; } = [(1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1)];

    /// <summary>The links' names, by link number.</summary>
    public static ImmutableArray<string> LinkNames { get; } = ["E", "NE", "N", "W", "SW", "S"];

    public TriangularTorus(int width, int height)
    {
        if (width < 3) throw new ArgumentOutOfRangeException(nameof(width), width, "a triangular torus needs at least 3 chips along x");
        if (height < 3) throw new ArgumentOutOfRangeException(nameof(height), height, "a triangular torus needs at least 3 chips along y");
        Width = width;
        Height = height;
        Nodes = [.. Enumerable.Range(0, height).SelectMany(y => Enumerable.Range(0, width).Select(x => new Node(x, y)))];
    }

    /// <summary>The torus over a profile's chips.</summary>
    public TriangularTorus(MeshLayout layout) : this(layout.ChipsX, layout.ChipsY) { }

    public int Width { get; }

    public int Height { get; }

    public string Name => TopologyName;

    public ImmutableArray<Node> Nodes { get; }

    /// <summary>The link that leaves by the opposite side: (L + 3) mod 6.</summary>
    public static int Opposite(int link) => (link + 3) % 6;

    public bool Contains(Node n) => n.X >= 0 && n.X < Width && n.Y >= 0 && n.Y < Height;

    public Node NodeOf(CoreAddress core) => new(core.ChipX, core.ChipY);

    /// <summary>The chip that link <paramref name="link"/> of <paramref name="node"/> leads to.</summary>
    public Node Neighbour(Node node, int link)
    {
        var (dx, dy) = Offsets[link];
        return new Node(Mod(node.X + dx, Width), Mod(node.Y + dy, Height));
    }

    /// <summary>Link number <paramref name="link"/> of <paramref name="node"/>.</summary>
    public Link LinkOf(Node node, int link) => new(node, Neighbour(node, link));

    public ImmutableArray<Link> LinksFrom(Node node)
    {
        if (!Contains(node)) throw new ArgumentOutOfRangeException(nameof(node), node, $"not a chip of the {Width}x{Height} torus");
        return [.. Enumerable.Range(0, Offsets.Length).Select(l => LinkOf(node, l))];
    }

    /// <summary>The number (0..5) of a link between neighbouring chips; an error if they are not neighbours.</summary>
    public int LinkNumber(Link link)
    {
        for (int l = 0; l < Offsets.Length; l++)
            if (Neighbour(link.From, l) == link.To) return l;
        throw new ArgumentException($"chips ({link.FromX},{link.FromY}) and ({link.ToX},{link.ToY}) are not neighbours on the {Width}x{Height} torus", nameof(link));
    }

    public bool AreNeighbours(Node from, Node to) => Contains(from) && Contains(to) && Enumerable.Range(0, 6).Any(l => Neighbour(from, l) == to);

    public bool CrossesChips(Link link) => true;

    public string Direction(Link link) => LinkNames[LinkNumber(link)];

    /// <summary>
    /// The shortest way from one chip to another as steps along the three axes: x (E/W), y (N/S) and
    /// z (+1 is SW, −1 is NE), with at most two of them nonzero. Over the wrap-arounds the one with the
    /// fewest hops is taken (ties: the first of dx in {d, d − W, d + W}, then dy alike).
    /// As rig/PACMAN do, the diagonal z is found by subtracting the median of (x, y, 0).
    /// </summary>
    public (int X, int Y, int Z) Vector(Node from, Node to)
    {
        int bestX = 0, bestY = 0, best = int.MaxValue;
        int dx0 = Mod(to.X - from.X, Width), dy0 = Mod(to.Y - from.Y, Height);
        foreach (int dx in (ReadOnlySpan<int>)[dx0, dx0 - Width, dx0 + Width])
            foreach (int dy in (ReadOnlySpan<int>)[dy0, dy0 - Height, dy0 + Height])
            {
                int d = Distance(dx, dy);
                if (d < best) { best = d; bestX = dx; bestY = dy; }
            }
        int m = Median(bestX, bestY, 0);
        return (bestX - m, bestY - m, -m);
    }

    /// <summary>Hops between two chips on the torus.</summary>
    public int Hops(Node from, Node to)
    {
        var (x, y, z) = Vector(from, to);
        return Math.Abs(x) + Math.Abs(y) + Math.Abs(z);
    }

    /// <summary>
    /// The longest-dimension-first path (PACMAN's router_algorithms, rig's longest_dimension_first):
    /// all steps along the axis with the most, then the next, ties in the order x, y, z. Empty for the same chip.
    /// </summary>
    public ImmutableArray<Link> LongestDimensionFirst(Node from, Node to)
    {
        var (x, y, z) = Vector(from, to);
        // x: E (0) / W (3); y: N (2) / S (5); z: +1 is SW (4), −1 is NE (1).
        Span<(int Steps, int Link)> axes = [(x, x > 0 ? 0 : 3), (y, y > 0 ? 2 : 5), (z, z > 0 ? 4 : 1)];
        // Stable order by |steps|, descending: insertion sort of three keeps ties in x, y, z order.
        for (int i = 1; i < 3; i++)
            for (int j = i; j > 0 && Math.Abs(axes[j].Steps) > Math.Abs(axes[j - 1].Steps); j--)
                (axes[j], axes[j - 1]) = (axes[j - 1], axes[j]);
        var links = ImmutableArray.CreateBuilder<Link>(Math.Abs(x) + Math.Abs(y) + Math.Abs(z));
        var at = from;
        foreach (var (steps, link) in axes)
            for (int s = 0; s < Math.Abs(steps); s++)
            {
                var next = Neighbour(at, link);
                links.Add(new Link(at, next));
                at = next;
            }
        return links.MoveToImmutable();
    }

    /// <summary>Hops for a step (dx, dy) without wrap: moves (1,1) and (−1,−1) cover both axes at once.</summary>
    private static int Distance(int dx, int dy) => Math.Sign(dx) == Math.Sign(dy) ? Math.Max(Math.Abs(dx), Math.Abs(dy)) : Math.Abs(dx) + Math.Abs(dy);

    private static int Median(int a, int b, int c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private static int Mod(int a, int n) => ((a % n) + n) % n;
}
