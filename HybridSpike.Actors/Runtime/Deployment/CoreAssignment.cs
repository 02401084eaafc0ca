using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Runtime.Deployment;

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

/// <summary>Which node each core of a deployment goes to, and the node actor that hosts them there.</summary>
public static class CoreAssignment
{
    /// <summary>The name of the node actor, at <c>/user/mesh-node</c> on every node that hosts cores.</summary>
    public const string NodeActorName = "mesh-node";

    /// <summary>This actor system's own address (with host and port when it is remote-capable).</summary>
    public static Address SelfAddress(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

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
