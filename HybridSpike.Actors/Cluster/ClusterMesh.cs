using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Cluster;

/// <summary>How a run deals its cores out to the nodes it was given (docs/mesh.md, "Several nodes").</summary>
public enum NodeAssignment
{
    /// <summary>Contiguous blocks in core order, as even as possible: core k goes to node ⌊k·N/cores⌋. Core order is placement order (population by population, chip by chip), so neighbours share a node.</summary>
    Blocks,
    /// <summary>Core k goes to node k mod N: neighbours on different nodes, the most traffic between nodes.</summary>
    RoundRobin,
    /// <summary>All cores of one chip on one node; the chips the mesh uses, in order, dealt round robin (a mesh on fewer chips than nodes leaves nodes idle).</summary>
    Chip,
}

/// <summary>A mesh run could not use its nodes: too few joined, one did not answer, left, died or became unreachable.</summary>
public sealed class MeshClusterException(string message) : Exception(message);

/// <summary>Cluster side of the mesh: the node actor every mesh node runs, waiting for nodes, and the core-to-node assignment.</summary>
public static class ClusterMesh
{
    /// <summary>The name of the node actor, at <c>/user/mesh-node</c> on every node that hosts cores.</summary>
    public const string NodeActorName = "mesh-node";

    /// <summary>The cluster role of the nodes that host cores (reference.conf gives it to every node).</summary>
    public const string Role = "mesh";

    /// <summary>Starts this node's mesh-node actor, so that runs coordinated on other nodes can place cores here.</summary>
    public static IActorRef StartNode(ActorSystem system) => system.ActorOf(Props.Create(() => new MeshNode()), NodeActorName);

    /// <summary>This actor system's own address (with host and port when it is remote-capable).</summary>
    public static Address SelfAddress(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

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

    /// <summary>The node index (0 ≤ i &lt; <paramref name="nodes"/>) of every core of <paramref name="mesh"/>.</summary>
    public static ImmutableArray<int> Assign(CompiledMesh mesh, int nodes, NodeAssignment assignment)
    {
        if (nodes <= 0) throw new ArgumentException($"the number of nodes must be positive, got {nodes}");
        var placements = mesh.Routed.Placed.Placements;
        int cores = placements.Length;
        switch (assignment)
        {
            case NodeAssignment.Blocks:
                return [.. Enumerable.Range(0, cores).Select(k => (int)((long)k * nodes / cores))];
            case NodeAssignment.RoundRobin:
                return [.. Enumerable.Range(0, cores).Select(k => k % nodes)];
            case NodeAssignment.Chip:
                var chips = new Dictionary<(int, int), int>();
                return [.. placements.Select(p =>
                {
                    var chip = (p.Core.ChipX, p.Core.ChipY);
                    if (!chips.TryGetValue(chip, out var n)) chips[chip] = n = chips.Count % nodes;
                    return n;
                })];
            default:
                throw new ArgumentOutOfRangeException(nameof(assignment), assignment, "unknown node assignment");
        }
    }
}
