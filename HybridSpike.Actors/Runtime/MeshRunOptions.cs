using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Cluster;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// Where a mesh run puts its cores. <see cref="Local"/> (no nodes) keeps every core in the calling actor system, as
/// before, with no serialization. With nodes, the cores are dealt to them by <see cref="Assignment"/>: a core whose node
/// is the calling system's own address is created here, every other one on that node's mesh-node actor
/// (<c>hybridspike node</c>, <see cref="ClusterMesh.StartNode"/>). The spikes are the same either way.
/// </summary>
/// <param name="Nodes">The nodes' addresses (akka.tcp://hybridspike@host:port), in the order the assignment deals to; empty = all local.</param>
/// <param name="Assignment">How cores are dealt to the nodes.</param>
/// <param name="DeployTimeout">How long the nodes may take to create and wire their cores before the run fails naming the silent ones.</param>
public sealed record MeshRunOptions(ImmutableArray<Address> Nodes, NodeAssignment Assignment, TimeSpan DeployTimeout)
{
    /// <summary>Every core in the calling actor system.</summary>
    public static MeshRunOptions Local { get; } = new([], NodeAssignment.Blocks, TimeSpan.FromSeconds(30));

    /// <summary>Cores spread over <paramref name="nodes"/> (the first one is usually the calling system itself).</summary>
    public static MeshRunOptions OnNodes(IEnumerable<Address> nodes, NodeAssignment assignment = NodeAssignment.Blocks) =>
        Local with { Nodes = [.. nodes], Assignment = assignment };

    /// <summary>True when every core stays in the calling actor system.</summary>
    public bool IsLocal => Nodes.IsDefaultOrEmpty;
}
