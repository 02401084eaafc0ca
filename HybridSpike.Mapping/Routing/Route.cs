using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing;

/// <summary>A link between two neighbouring cores of the mesh, in one direction.</summary>
public sealed record Link(int FromX, int FromY, int ToX, int ToY)
{
    public bool IsEastWest => FromY == ToY;
    /// <summary>"E", "W", "N" or "S" (north is towards y − 1).</summary>
    public string Direction => ToX > FromX ? "E" : ToX < FromX ? "W" : ToY > FromY ? "S" : "N";
}

/// <summary>The path of the packets from one core to another, and whether it leaves the chip.</summary>
public sealed record Route(CoreAddress From, CoreAddress To, ImmutableArray<Link> Links, bool CrossesChips)
{
    public int Hops => Links.Length;
}

/// <summary>The routes a placed network needs: one per (source core, target core) pair that a connection joins.</summary>
public sealed record RoutedNetwork(PlacedNetwork Placed, ImmutableArray<Route> Routes);

/// <summary>
/// Dimension-order (X then Y) routing on the 2D mesh, as on Loihi 2: along x to the target column,
/// then along y. Chips continue the mesh in four directions, so a route crosses chip borders like any
/// other link. A pure function of the placement.
/// </summary>
public static class Routes
{
    public static RoutedNetwork Run(PlacedNetwork placed)
    {
        var net = placed.Split.Network;
        var routes = ImmutableArray.CreateBuilder<Route>();
        var seen = new HashSet<(int, int)>();
        foreach (var c in net.Connections.Where(c => c.Source != Core.Network.NetworkDescription.InputName))
            foreach (var from in placed.Of(c.Source))
                foreach (var to in placed.Of(c.Target))
                    if (seen.Add((from.Core.Index, to.Core.Index)))
                        routes.Add(XY(from.Core, to.Core));
        return new RoutedNetwork(placed, routes.ToImmutable());
    }

    /// <summary>The X-then-Y path between two cores (empty for the same core).</summary>
    public static Route XY(CoreAddress from, CoreAddress to)
    {
        var links = ImmutableArray.CreateBuilder<Link>();
        int x = from.X, y = from.Y;
        while (x != to.X) { int nx = x + Math.Sign(to.X - x); links.Add(new Link(x, y, nx, y)); x = nx; }
        while (y != to.Y) { int ny = y + Math.Sign(to.Y - y); links.Add(new Link(x, y, x, ny)); y = ny; }
        return new Route(from, to, links.ToImmutable(), from.ChipX != to.ChipX || from.ChipY != to.ChipY);
    }
}
