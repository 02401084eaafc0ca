using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>One chip of a source's multicast tree: how the packet arrives, which links it leaves by, which of the chip's cores take it.</summary>
/// <param name="Arrival">The chip's own link the packet comes in on (null at the source's chip), as <see cref="SourceRoute.Arrival"/>.</param>
/// <param name="Route">The links it is copied onto and the chip's cores (<see cref="CoreSet"/> by on-chip number) it is delivered to.</param>
public sealed record TreeNode(Node Chip, int? Arrival, ChipRoute Route);

/// <summary>
/// The tree one source's packets follow: from the source's chip to every chip that holds a
/// destination core, each path longest-dimension-first (<see cref="TriangularTorus.LongestDimensionFirst"/>),
/// merged so that every chip is reached once and the packet is copied where branches part, as PACMAN's
/// router does (router_algorithms/application_router.py). A path is added from the last of its chips
/// that is already in the tree, so a chip never gets a second parent and the tree has no cycle.
/// Destination chips are added nearest first (then in node order), so the tree is a pure function of
/// the placement.
/// </summary>
/// <param name="Nodes">The tree's chips, parents before children (breadth of insertion order).</param>
public sealed record MulticastTree(int Source, Node Root, ImmutableArray<TreeNode> Nodes)
{
    /// <summary>Links in the tree: the hops one packet makes in all.</summary>
    public int LinkCount => Nodes.Sum(n => n.Route.LinkCountUsed);

    /// <param name="destinations">Per destination chip, the chip's cores (on-chip numbers) that take the packet.</param>
    public static MulticastTree Build(TriangularTorus torus, int source, Node root, IReadOnlyDictionary<Node, CoreSet> destinations)
    {
        if (!torus.Contains(root)) throw new CompileException($"route: core {source}'s chip ({root.X},{root.Y}) is outside the {torus.Width}x{torus.Height} torus");
        var route = new Dictionary<Node, ChipRoute> { [root] = ChipRoute.Drop };
        var arrival = new Dictionary<Node, int?> { [root] = null };
        var order = new List<Node> { root };
        foreach (var (chip, _) in destinations.OrderBy(d => torus.Hops(root, d.Key)).ThenBy(d => d.Key.Y).ThenBy(d => d.Key.X))
        {
            if (!torus.Contains(chip)) throw new CompileException($"route: core {source}'s destination chip ({chip.X},{chip.Y}) is outside the {torus.Width}x{torus.Height} torus");
            if (route.ContainsKey(chip)) continue;
            var path = torus.LongestDimensionFirst(root, chip);
            // Join at the last chip of the path already in the tree; the chips after it are all new.
            int join = path.Length - 1;
            while (join >= 0 && !route.ContainsKey(path[join].To)) join--;
            for (int i = join + 1; i < path.Length; i++)
            {
                var link = path[i];
                int number = torus.LinkNumber(link);
                route[link.From] = route[link.From].WithLink(number);
                route[link.To] = ChipRoute.Drop;
                arrival[link.To] = TriangularTorus.Opposite(number);
                order.Add(link.To);
            }
        }
        foreach (var (chip, cores) in destinations) route[chip] = route[chip] with { Cores = route[chip].Cores.Union(cores) };
        return new MulticastTree(source, root, [.. order.Select(n => new TreeNode(n, arrival[n], route[n]))]);
    }
}
