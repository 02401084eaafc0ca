using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Core.Dynamics;

namespace HybridSpike.Actors.Runtime.Recovery;

/// <summary>A node a deployment lost, and how (killed, unreachable, left, downed, or silent when asked to host).</summary>
public sealed record LostNode(Address Node, string Reason);

/// <summary>
/// One recovery of a deployment from lost nodes (docs/cluster.md): what was lost, the recovery point every core restarted
/// from, what moved where, the steps replayed, and how long each part took. <paramref name="DetectedAt"/> is when the
/// coordinator learnt of the loss (the failure detector's time before it is not in here: measure it from the kill).
/// </summary>
/// <param name="Lost">The nodes lost (more than one if another went while recovering).</param>
/// <param name="FromStep">The mesh step of the recovery point (−1: before any step).</param>
/// <param name="ReplayedSteps">Mesh steps fed again from the journal.</param>
/// <param name="MovedCores">The cores that ran on the lost nodes, now elsewhere.</param>
/// <param name="Nodes">Every core's node after the recovery, in core order.</param>
/// <param name="Replacement">Computing where the cores go.</param>
/// <param name="Restore">Stopping the old cores, hosting every core again from the recovery point and wiring them.</param>
/// <param name="Replay">Feeding the journal again until every core has computed it (up to the next recovery point).</param>
public sealed record MeshRecovery(ImmutableArray<LostNode> Lost, long FromStep, long ReplayedSteps, ImmutableArray<int> MovedCores,
    ImmutableArray<Address> Nodes, DateTimeOffset DetectedAt, TimeSpan Replacement, TimeSpan Restore, TimeSpan Replay);

/// <summary>The recoveries of one deployment, as they complete (shared by its deployer, driver and public face).</summary>
internal sealed class RecoveryLog
{
    private ImmutableList<MeshRecovery> _all = [];

    public ImmutableList<MeshRecovery> All => Volatile.Read(ref _all);

    public void Add(MeshRecovery recovery) => ImmutableInterlocked.Update(ref _all, l => l.Add(recovery));
}

/// <summary>A recovery point: every core's state and counters at the boundary after mesh step <paramref name="Step"/>.</summary>
internal sealed record RecoveryPoint(long Step, ImmutableArray<CoreSnapshot> Cores, ImmutableArray<CoreCounters> Counters);
