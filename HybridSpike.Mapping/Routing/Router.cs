using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Routing;

/// <summary>One destination core of a source's packets: the path a packet takes to it, and whether source and destination are on different chips.</summary>
/// <param name="Core">The destination's place in the placements (<see cref="PlacedNetwork.Placements"/> order, as <see cref="CompiledMesh.Cores"/>).</param>
/// <param name="Path">The links from the source's node to the destination's, in order (for multicast: the tree's branch to it); empty on the same node.</param>
public sealed record Delivery(int Core, ImmutableArray<Link> Path, bool CrossesChips)
{
    public int Hops => Path.Length;
}

/// <summary>One traversal of a link by a copy of the packet, and the deliveries (indices into <see cref="RouteDecision.Deliveries"/>) that copy is heading to.</summary>
public sealed record LinkUse(Link Link, ImmutableArray<int> Towards);

/// <summary>
/// What the router does with one packet of a source core (one nonzero payload, which every
/// destination core needs): where it is delivered and which links it crosses. Unicast sends one copy
/// per destination along that destination's path, so <see cref="Links"/> holds every path's links
/// (a link shared by k paths k times, each towards one destination); multicast sends one copy that
/// forks where the paths part, so <see cref="Links"/> holds the union tree, each link once, towards
/// every destination below it. Telemetry counts link traversals from <see cref="Links"/> and hops,
/// chip crossings and route latency from <see cref="Deliveries"/>.
/// </summary>
/// <param name="Source">The source core (placement order).</param>
/// <param name="Deliveries">The delivery set, in placement order.</param>
public sealed record RouteDecision(int Source, bool Multicast, ImmutableArray<Delivery> Deliveries, ImmutableArray<LinkUse> Links)
{
    /// <summary>The destination cores, in placement order: the cores the runtime sends the source's payloads to.</summary>
    public ImmutableArray<int> Destinations => [.. Deliveries.Select(d => d.Core)];

    /// <summary>The delivery to <paramref name="core"/>, or null if the packet does not go there.</summary>
    public Delivery? To(int core)
    {
        foreach (var d in Deliveries) if (d.Core == core) return d;
        return null;
    }

    /// <summary>One copy per destination: every path's links, each traversal towards its own destination.</summary>
    public static RouteDecision Unicast(int source, ImmutableArray<Delivery> deliveries) => new(source, false, deliveries,
        [.. deliveries.SelectMany((d, i) => d.Path.Select(l => new LinkUse(l, [i])))]);

    /// <summary>One copy forking along the union of the paths: each distinct link once (in first-use order), towards every delivery whose path uses it.</summary>
    public static RouteDecision MulticastTree(int source, ImmutableArray<Delivery> deliveries)
    {
        var towards = new Dictionary<Link, List<int>>();
        var order = new List<Link>();
        for (int i = 0; i < deliveries.Length; i++)
            foreach (var l in deliveries[i].Path)
            {
                if (!towards.TryGetValue(l, out var list)) { towards[l] = list = []; order.Add(l); }
                if (list.Count == 0 || list[^1] != i) list.Add(i);
            }
        return new(source, true, deliveries, [.. order.Select(l => new LinkUse(l, [.. towards[l]]))]);
    }
}

/// <summary>
/// The routing seam: built at compile time from the topology and the placed network, it decides for
/// every source core where its packets go and over which links. Callers (the compile summary,
/// telemetry, the runtime's destination sets) only read decisions, so a router of another kind (a
/// SpiNNaker key/mask multicast table) is one more implementation. Implementations are immutable and
/// decide once, at construction.
/// </summary>
public interface IRouter
{
    /// <summary>The profile's <c>routing.algorithm</c> name.</summary>
    string Name { get; }

    ITopology Topology { get; }

    PlacedNetwork Placed { get; }

    /// <summary>One copy per packet forking along a tree (true), or one copy per destination (false): the profile's <c>routing.multicast</c>.</summary>
    bool Multicast { get; }

    /// <summary>The decision for the packets of <paramref name="sourceCore"/> (placement order).</summary>
    RouteDecision Resolve(int sourceCore);
}

/// <summary>The router a profile names, and what every router shares: which cores need which source.</summary>
public static class Routers
{
    /// <summary>The valid <c>routing.algorithm</c> values.</summary>
    public static ImmutableArray<string> Names { get; } = [DimensionOrderRouter.AlgorithmName, Tables.TableRouter.AlgorithmName];

    public static IRouter For(HardwareProfile profile, ITopology topology, PlacedNetwork placed)
    {
        bool multicast = profile.Routing.Multicast
            ?? throw new ArgumentException($"routing.multicast: missing (true or false) in profile '{profile.Name}'");
        return profile.Routing.Algorithm switch
        {
            DimensionOrderRouter.AlgorithmName => topology is Mesh2D mesh ? new DimensionOrderRouter(mesh, placed, multicast)
                : throw new ArgumentException($"routing.algorithm: '{DimensionOrderRouter.AlgorithmName}' needs routing.topology '{Mesh2D.TopologyName}', got '{topology.Name}' in profile '{profile.Name}'"),
            Tables.TableRouter.AlgorithmName => topology is TriangularTorus torus
                ? new Tables.TableRouter(Tables.RoutingTables.Build(torus, placed, Tables.TableCompressors.For(profile.Routing.Compressor ?? Tables.NoCompression.CompressorName),
                    profile.Routing.TableEntries ?? throw new ArgumentException($"routing.tableEntries: missing in profile '{profile.Name}'")), placed)
                : throw new ArgumentException($"routing.algorithm: '{Tables.TableRouter.AlgorithmName}' needs routing.topology '{TriangularTorus.TopologyName}', got '{topology.Name}' in profile '{profile.Name}'"),
            var a => throw new ArgumentException($"routing.algorithm: unknown '{a}' (valid: {string.Join(", ", Names)}) in profile '{profile.Name}'"),
        };
    }

    /// <summary>
    /// Per core (placement order): the cores whose population is the target of a connection from its
    /// population, in placement order. Every payload of a core goes to each of them, whatever its weights.
    /// </summary>
    public static ImmutableArray<ImmutableArray<int>> DeliverySets(PlacedNetwork placed)
    {
        var placements = placed.Placements;
        var targets = placed.Split.Network.Connections.ToLookup(c => c.Source, c => c.Target);
        return [.. placements.Select(p =>
        {
            var of = targets[p.Piece.Population].ToHashSet();
            return ImmutableArray.CreateRange(Enumerable.Range(0, placements.Length).Where(d => of.Contains(placements[d].Piece.Population)));
        })];
    }

    /// <summary>Whether two cores are on different chips.</summary>
    public static bool CrossesChips(CoreAddress from, CoreAddress to) => from.ChipX != to.ChipX || from.ChipY != to.ChipY;
}
