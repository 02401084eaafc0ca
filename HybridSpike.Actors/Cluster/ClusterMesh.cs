using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Cluster;

/// <summary>Cluster side of the mesh: the node actor every mesh node runs, waiting for nodes, and the core-to-node assignment.</summary>
public static class ClusterMesh
{
    /// <summary>The name of the node actor, at <c>/user/mesh-node</c> on every node that hosts cores.</summary>
    public const string NodeActorName = CoreAssignment.NodeActorName;

    /// <summary>The cluster role of the nodes that host cores (reference.conf gives it to every node).</summary>
    public const string Role = "mesh";

    /// <summary>Starts this node's mesh-node actor, so that runs coordinated on other nodes can place cores here.</summary>
    public static IActorRef StartNode(ActorSystem system) => system.ActorOf(Props.Create(() => new MeshNode()), NodeActorName);

    /// <summary>The node index of every core of <paramref name="mesh"/> (<see cref="CoreAssignment.Assign"/>).</summary>
    public static ImmutableArray<int> Assign(CompiledMesh mesh, int nodes, NodeAssignment assignment) => CoreAssignment.Assign(mesh, nodes, assignment);

    /// <summary>This actor system's own address (with host and port when it is remote-capable).</summary>
    public static Address SelfAddress(ActorSystem system) => CoreAssignment.SelfAddress(system);

    /// <summary>
    /// Waits until at least <paramref name="count"/> members with the <see cref="Role"/> role are Up (this node included
    /// when it has the role) and returns the first <paramref name="count"/> of them in address order (host, then port):
    /// the nodes to pass to <see cref="Runtime.MeshRunOptions.Nodes"/>. After <paramref name="timeout"/> it throws
    /// <see cref="MeshClusterException"/> naming how many joined.
    /// </summary>
    public static async Task<ImmutableArray<Address>> WaitForNodesAsync(ActorSystem system, int count, TimeSpan timeout, CancellationToken cancel)
    {
        if (count <= 0) throw new ArgumentException($"the number of nodes must be positive, got {count}");
        var cluster = Akka.Cluster.Cluster.Get(system);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var up = UpMeshNodes(cluster);
            if (up.Length >= count) return [.. up.Take(count)];
            if (DateTime.UtcNow >= deadline)
                throw new MeshClusterException(
                    $"only {up.Length} of {count} mesh nodes joined the cluster within {timeout.TotalSeconds:0.#} s" +
                    (up.IsEmpty ? "" : $" ({string.Join(", ", up)})") +
                    "; start the others with `hybridspike node --config FILE` (same seed nodes)");
            await Task.Delay(100, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The Up members with the mesh role, in address order.</summary>
    public static ImmutableArray<Address> UpMeshNodes(Akka.Cluster.Cluster cluster) =>
        [.. cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(Role) && !cluster.State.Unreachable.Contains(m))
            .Select(m => m.Address).OrderBy(a => a, Member.AddressOrdering)];

}
