using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;

namespace HybridSpike.Actors.Runtime;

// The messages of the step protocol (docs/mesh.md, "The step protocol"). Every one is immutable; within a
// node, one step's header is shared by reference by every message of that step.

/// <summary>
/// What mesh step <paramref name="Step"/> does, decided by the step driver: the stream slots that step (those
/// that have input this step, in this order: every [k, …] payload block follows it), each slot's own step
/// number in its stream, the slots reset to a fresh stream first, and which of them (indices k into
/// <paramref name="Slots"/>) have their output read.
/// </summary>
public sealed record StepHeader(long Step, ImmutableArray<int> Slots, ImmutableArray<long> LocalSteps, ImmutableArray<int> Resets, ImmutableArray<int> Reads)
{
    /// <summary>Slots stepped.</summary>
    public int Active => Slots.Length;
}

/// <summary>The input of one mesh step for its stepped slots: [k, dimension] as integer payloads round(x·2^16), to the cores the input feeds.</summary>
public sealed record StepInput(StepHeader Header, ImmutableArray<long> Values);

/// <summary>The start of a mesh step for a core that no same-step message would tell of it (every input of the core is a recurrence, or it has none).</summary>
public sealed record StepStart(StepHeader Header);

/// <summary>
/// The payloads one core's units sent at one step, for the stepped slots: [k, unit] row-major, counts for a
/// quantized population (graded spikes), round(a·2^16) otherwise. One message per step per destination core,
/// sent even when every payload is zero, so that a receiver knows when it has heard from all its sources
/// (per-edge synchronization: no global barrier).
/// </summary>
public sealed record Payloads(StepHeader Header, int Population, int Start, int Count, ImmutableArray<long> Values);

/// <summary>A quantized core's counts of one step, for the run's observer: [k, unit] over the header's slots.</summary>
internal sealed record CoreCounts(long Step, int Population, int Start, int Count, ImmutableArray<int> Values);

/// <summary>
/// Driver → the cores of one quantized population: send the counts of stream slot <paramref name="Slot"/> to
/// <paramref name="Watcher"/> (a spike tap, docs/mesh.md "Watching a population"), for the stream that began at the
/// slot's <paramref name="Generation"/>-th reset (a core counts the resets of each slot: a later one is another stream,
/// and ends the tap there), from the stream's own step <paramref name="From"/> on. The core answers
/// <see cref="TapReady"/> to the watcher.
/// </summary>
internal sealed record TapOn(long Tap, int Slot, long Generation, long From, IActorRef Watcher);

/// <summary>Driver → core: stop tap <paramref name="Tap"/> (its watch was disposed).</summary>
internal sealed record TapOff(long Tap);

/// <summary>Core → watcher: the tap is in place; the core sends the stream's counts of every step from <paramref name="FirstStep"/> on (long.MaxValue: the stream is over here).</summary>
internal sealed record TapReady(long Tap, int Core, long FirstStep);

/// <summary>Core → watcher: its units' counts (units <paramref name="Start"/>.. of the population) at the stream's own step <paramref name="Step"/>.</summary>
internal sealed record TapCounts(long Tap, long Step, int Start, int Count, ImmutableArray<int> Values);

/// <summary>An output core's activities at one step, for the read slots: [r, unit] in the order of the header's reads.</summary>
internal sealed record OutputActivity(long Step, int Start, int Count, ImmutableArray<double> Values);

/// <summary>A core has finished <paramref name="Steps"/> mesh steps (sent every progress interval): the driver may feed further ahead.</summary>
internal sealed record Progress(int Core, long Steps);

/// <summary>
/// Driver → core: answer with the core's state once mesh step <paramref name="Step"/> is computed and its recurrent
/// payloads delivered (−1: before any step); with <paramref name="WithCounters"/> (a recovery point, docs/cluster.md)
/// also the counters a core restored there must start from.
/// </summary>
internal sealed record TakeSnapshot(long Step, bool WithCounters);

/// <summary>Core → driver: its state at the boundary after mesh step <paramref name="Step"/>, and its counters when asked.</summary>
internal sealed record CoreSnapshotTaken(int Core, long Step, CoreSnapshot State, CoreCounters? Counters);

/// <summary>
/// What a core counts beside its units' state, at a step boundary, so that a core restored there (after a lost node,
/// docs/cluster.md) carries on exactly as the one it replaces: per slot, the resets computed (<paramref name="Generations"/>,
/// the number of the stream a spike tap belongs to) and the stream's own step last computed (<paramref name="LastLocal"/>),
/// and the traffic counted since the last collection (<paramref name="Traffic"/>: the bins of <see cref="CoreTrafficBins"/>,
/// in its order), so that telemetry counts every step once whatever was lost and replayed.
/// </summary>
internal sealed record CoreCounters(ImmutableArray<long> Generations, ImmutableArray<long> LastLocal, ImmutableArray<ImmutableArray<long>> Traffic);

/// <summary>Driver → core: once mesh step <paramref name="Step"/> is computed and its recurrent payloads are in, send the traffic counted since the last collection, in bins of <paramref name="Steps"/> stream steps, and start counting afresh.</summary>
internal sealed record CollectTraffic(long Step, int Steps);

/// <summary>What a core needs to run: its piece, its incoming weights, where its results go and where it reports progress (<paramref name="Driver"/>).</summary>
/// <param name="Slots">Stream slots the core keeps state for.</param>
/// <param name="NeedsStart">The core learns of each step from a <see cref="StepStart"/> (it has no same-step input).</param>
/// <param name="ProgressInterval">Steps between two <see cref="Progress"/> reports.</param>
/// <param name="Restore">The core's state to start from (a restored snapshot), or null for fresh slots.</param>
/// <param name="FirstStep">The first mesh step the core computes: 0, or the step after a recovery point.</param>
/// <param name="Counters">The counters to start from at a recovery point (with <paramref name="Restore"/>), or null: all zero.</param>
internal sealed record CoreSetup(
    int Core,
    int Population,
    int Start,
    int Count,
    int Slots,
    bool RecordCounts,
    bool IsOutput,
    bool NeedsStart,
    int ProgressInterval,
    ImmutableArray<IncomingConnection> Incoming,
    IActorRef Driver,
    CoreSnapshot? Restore,
    long FirstStep,
    CoreCounters? Counters);

/// <summary>One incoming connection of a core: its rows of the fixed-point weights (in the kernel's layout) and where the source payloads come from.</summary>
/// <param name="Source">Population index of the source, or -1 for the network input.</param>
/// <param name="SourceCores">How many cores send this source's payloads (the input: 1).</param>
/// <param name="Integrates">The source sends changes (send-on-delta): the core integrates its sums (<see cref="CoreConnection.Integrates"/>).</param>
internal sealed record IncomingConnection(int Source, int SourceSize, int SourceCores, bool OneStep, double? SourceOmega,
    HybridSpike.Core.Numerics.MantissaBlock Weights, ImmutableArray<int> RowExponents, bool Integrates)
{
    public CoreConnection ToCoreConnection() => new(Source, SourceSize, OneStep, SourceOmega, Weights, RowExponents, Integrates);
}

/// <summary>Tells a core where its payloads go (sent once, before the first step's input).</summary>
/// <param name="Lookup">
/// On table-routed profiles (SpiNNaker): how the core routes each step's packet by looking its key up in the
/// tables, chip by chip; it sends to the destinations the lookup reaches. Null: to every destination.
/// </param>
internal sealed record Wire(ImmutableArray<IActorRef> Destinations, ImmutableArray<int> DestinationCores, Mapping.Routing.Tables.PacketLookup? Lookup);

/// <summary>The population of a core's piece, for building its plan.</summary>
internal static class CoreSetupExtensions
{
    public static CorePlan Plan(this CoreSetup setup, Population population) =>
        new(setup.Population, population, setup.Start, setup.Count, [.. setup.Incoming.Select(c => c.ToCoreConnection())]);
}
