using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Deployment;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// How a mesh run is carried out, beyond the compiled mesh itself. An immutable value: start from
/// <see cref="Local"/> (every core in the calling actor system, plain delivery) and change it with
/// <c>with</c> (C#) or the helpers (F#: <c>MeshRunOptions.Local.WithShuffle(DeliveryShuffle(7UL, 4))</c>).
/// <para>
/// Where the cores go: with no nodes every core stays in the calling actor system, with no serialization.
/// With nodes, the cores are dealt to them by <see cref="Assignment"/>: a core whose node is the calling
/// system's own address is created here, every other one on that node's mesh-node actor
/// (<c>hybridspike node</c>, <c>ClusterMesh.StartNode</c>). The spikes are the same either way.
/// </para>
/// </summary>
/// <param name="Nodes">The nodes' addresses (akka.tcp://hybridspike@host:port), in the order the assignment deals to; empty = all local.</param>
/// <param name="Assignment">How cores are dealt to the nodes.</param>
/// <param name="DeployTimeout">How long the nodes may take to create and wire their cores before the run fails naming the silent ones.</param>
/// <param name="Shuffle">Scramble the order in which every core receives its messages (null: as Akka delivers them).</param>
/// <param name="Timeout">Fail a run that has not finished by then with a <see cref="TimeoutException"/> (null: wait until it finishes or is cancelled).</param>
public sealed record MeshRunOptions(ImmutableArray<Address> Nodes, NodeAssignment Assignment, TimeSpan DeployTimeout, DeliveryShuffle? Shuffle, TimeSpan? Timeout)
{
    /// <summary>Every core in the calling actor system, messages as Akka delivers them, no time limit.</summary>
    public static MeshRunOptions Local { get; } = new([], NodeAssignment.Blocks, TimeSpan.FromSeconds(30), null, null);

    /// <summary>The plain run: <see cref="Local"/>.</summary>
    public static MeshRunOptions Default => Local;

    /// <summary>Cores spread over <paramref name="nodes"/> (the first one is usually the calling system itself), in blocks.</summary>
    public static MeshRunOptions OnNodes(IEnumerable<Address> nodes) => OnNodes(nodes, NodeAssignment.Blocks);

    /// <summary>Cores spread over <paramref name="nodes"/> by <paramref name="assignment"/>.</summary>
    public static MeshRunOptions OnNodes(IEnumerable<Address> nodes, NodeAssignment assignment) =>
        Local with { Nodes = [.. nodes], Assignment = assignment };

    /// <summary>
    /// Mesh steps between two recovery points when cores run on other nodes (docs/cluster.md): null takes
    /// <c>hybridspike.mesh.recovery.snapshot-interval</c> from the actor system's configuration (1,000 by default);
    /// 0 turns recovery off, so that a lost node ends the run.
    /// </summary>
    public int? SnapshotInterval { get; init; }

    /// <summary>Most cores one node may run, at the start and when a lost node's cores are re-placed (0: no limit).</summary>
    public int MaxCoresPerNode { get; init; }

    /// <summary>These options with a recovery point every <paramref name="steps"/> mesh steps (0: no recovery).</summary>
    public MeshRunOptions WithSnapshotInterval(int steps) => this with { SnapshotInterval = steps };

    /// <summary>These options with at most <paramref name="cores"/> cores per node (0: no limit).</summary>
    public MeshRunOptions WithMaxCoresPerNode(int cores) => this with { MaxCoresPerNode = cores };

    /// <summary>These options with every core's deliveries shuffled.</summary>
    public MeshRunOptions WithShuffle(DeliveryShuffle shuffle) => this with { Shuffle = shuffle };

    /// <summary>These options with a time limit on the run.</summary>
    public MeshRunOptions WithTimeout(TimeSpan timeout) => this with { Timeout = timeout };

    /// <summary>True when every core stays in the calling actor system.</summary>
    public bool IsLocal => Nodes.IsDefaultOrEmpty;

    /// <summary>Every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Shuffle is { MaxHold: < 0 or > DeliveryShuffle.MaxHoldLimit } s)
            e.Add($"shuffle.maxHold: must be in 0..{DeliveryShuffle.MaxHoldLimit}, got {s.MaxHold}");
        if (Timeout is { } t && t <= TimeSpan.Zero) e.Add($"timeout: must be positive, got {t}");
        if (DeployTimeout <= TimeSpan.Zero) e.Add($"deployTimeout: must be positive, got {DeployTimeout}");
        if (SnapshotInterval is < 0) e.Add($"snapshotInterval: must be 0 (no recovery) or a number of mesh steps, got {SnapshotInterval}");
        if (MaxCoresPerNode < 0) e.Add($"maxCoresPerNode: must be 0 (no limit) or positive, got {MaxCoresPerNode}");
        return e;
    }
}

/// <summary>
/// A seeded perturbation of message delivery, for tests and for studying robustness: each core's
/// incoming messages (its sources' payloads and the input) pass through a small actor that holds
/// them and releases them one at a time, a random held one each time, after putting each release
/// back behind the messages then waiting a random 0..<see cref="MaxHold"/> times. Arrival order
/// across sources and steps is scrambled (the input of later steps overtakes earlier ones, a fast
/// source's next step overtakes a slow one's current step) and nothing is lost: every message gets
/// exactly one release. The seed fixes the shufflers' choices; the threads' timing still varies from
/// run to run, so two runs with one seed need not see the same order. The spikes must not change:
/// the mesh's arithmetic does not depend on arrival order (docs/mesh.md).
/// </summary>
/// <param name="Seed">Seeds each core's shuffler (SplitMix64, one sub-stream per core).</param>
/// <param name="MaxHold">Most times a release is put back before it happens; larger holds messages longer (0 still picks a random held message).</param>
public sealed record DeliveryShuffle(ulong Seed, int MaxHold)
{
    /// <summary>The largest <see cref="MaxHold"/> accepted.</summary>
    public const int MaxHoldLimit = 1000;

    /// <summary>A shuffle with the default hold of 4.</summary>
    public DeliveryShuffle(ulong seed) : this(seed, 4) { }
}
