using System.Collections.Immutable;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// The payloads one core's units sent at one step, for every stream: [stream, unit] row-major,
/// counts for a quantized population (graded spikes), round(a·2^16) otherwise. One message per
/// step per destination core, sent even when every payload is zero, so that a receiver knows when it
/// has heard from all its sources (per-edge synchronization: no global barrier).
/// </summary>
public sealed record Payloads(int Step, int Population, int Start, int Count, ImmutableArray<long> Values);

/// <summary>The input of one step for every stream: [stream, dimension], as integer payloads.</summary>
public sealed record InputPayloads(int Step, ImmutableArray<long> Values);

/// <summary>A quantized core's counts of one step, for the run's observer: [stream, unit].</summary>
internal sealed record CoreCounts(int Step, int Population, int Start, int Count, ImmutableArray<int> Values);

/// <summary>An output core's activities after the last step: [stream, unit].</summary>
internal sealed record OutputActivity(int Start, int Count, ImmutableArray<double> Values);

/// <summary>What a core needs to run: its piece, its incoming weights, where its results go (<paramref name="Collector"/>) and where it reports progress (<paramref name="Input"/>).</summary>
internal sealed record CoreSetup(
    int Core,
    int Population,
    int Start,
    int Count,
    int Streams,
    int Steps,
    bool RecordCounts,
    bool IsOutput,
    ImmutableArray<IncomingConnection> Incoming,
    Akka.Actor.IActorRef Collector,
    Akka.Actor.IActorRef Input);

/// <summary>One incoming connection of a core: its rows of the fixed-point weights (in the kernel's layout) and where the source payloads come from.</summary>
/// <param name="Source">Population index of the source, or -1 for the network input.</param>
/// <param name="SourceCores">How many cores send this source's payloads (the input: 1).</param>
internal sealed record IncomingConnection(int Source, int SourceSize, int SourceCores, bool OneStep, double? SourceOmega,
    HybridSpike.Core.Numerics.MantissaBlock Weights, ImmutableArray<int> RowExponents);
