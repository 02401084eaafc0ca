using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Telemetry;

/// <summary>
/// What a fixed-point golden-model run sent, summed over its sequences, per step and unit: how many sequences had a
/// nonzero payload there (the packets a unit's payloads make per destination) and Σ|payload| (the spikes of a
/// quantized population). That is all the per-core traffic counts depend on, so it is kept instead of the payloads
/// themselves (its size does not grow with the samples). Record it with <see cref="PayloadTally"/>.
/// </summary>
/// <param name="Nonzero">Per source (index 0: the input, then population index + 1), [step · size + unit]: sequences whose payload was not zero.</param>
/// <param name="AbsSum">Per source, as <paramref name="Nonzero"/>: Σ over the sequences of |payload|.</param>
/// <param name="Graded">Per source, as <paramref name="Nonzero"/>: sequences whose payload was neither 0 nor +1 (the packets that must carry it).</param>
public sealed record PayloadActivity(int Streams, int Steps, ImmutableArray<int> Sizes, ImmutableArray<ImmutableArray<long>> Nonzero, ImmutableArray<ImmutableArray<long>> AbsSum,
    ImmutableArray<ImmutableArray<long>> Graded)
{
    /// <summary>The activity of several runs of the same network and length (batches of sequences) as one run of all their sequences.</summary>
    public static PayloadActivity Add(IReadOnlyList<PayloadActivity> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("no payload activity to add", nameof(runs));
        var first = runs[0];
        if (runs.FirstOrDefault(r => r.Steps != first.Steps || !r.Sizes.SequenceEqual(first.Sizes)) is { } other)
            throw new ArgumentException($"payload activity over {other.Steps} steps of sources sized [{string.Join(", ", other.Sizes)}] cannot be added to one over {first.Steps} steps of [{string.Join(", ", first.Sizes)}]");
        ImmutableArray<ImmutableArray<long>> Sum(Func<PayloadActivity, ImmutableArray<ImmutableArray<long>>> of) =>
            [.. Enumerable.Range(0, first.Sizes.Length).Select(s =>
            {
                var a = new long[first.Steps * first.Sizes[s]];
                foreach (var r in runs)
                    for (int i = 0; i < a.Length; i++) a[i] += of(r)[s][i];
                return ImmutableArray.Create(a);
            })];
        return new PayloadActivity(runs.Sum(r => r.Streams), first.Steps, first.Sizes, Sum(r => r.Nonzero), Sum(r => r.AbsSum), Sum(r => r.Graded));
    }
}

/// <summary>
/// Tallies a <see cref="FixedPointSimulator"/> run's payloads into a <see cref="PayloadActivity"/> (pass it as the run's
/// observer; one tally per run). Observing changes no result.
/// </summary>
public sealed class PayloadTally : IPayloadObserver
{
    private readonly int _streams, _steps;
    private readonly int[] _sizes;
    private readonly long[][] _nonzero, _abs, _graded;

    public PayloadTally(NetworkDescription network, int streams, int steps)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), streams, "a tally needs at least one sequence");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a tally needs at least one step");
        (_streams, _steps) = (streams, steps);
        _sizes = [network.Input.Dimensions, .. network.Populations.Select(p => p.Size)];
        _nonzero = [.. _sizes.Select(n => new long[steps * n])];
        _abs = [.. _sizes.Select(n => new long[steps * n])];
        _graded = [.. _sizes.Select(n => new long[steps * n])];
    }

    public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) { }

    public void OnPayloads(int step, int population, ReadOnlySpan<long> payloads)
    {
        int s = population + 1, n = _sizes[s];
        if ((uint)step >= (uint)_steps) throw new ArgumentOutOfRangeException(nameof(step), step, $"the tally covers steps 0..{_steps - 1}");
        if (payloads.Length != _streams * n) throw new ArgumentException($"source {population}: {payloads.Length} payloads; {_streams} sequences x {n} units expected", nameof(payloads));
        var nonzero = _nonzero[s].AsSpan(step * n, n);
        var abs = _abs[s].AsSpan(step * n, n);
        var graded = _graded[s].AsSpan(step * n, n);
        for (int b = 0; b < _streams; b++)
            for (int j = 0; j < n; j++)
            {
                long v = payloads[b * n + j];
                if (v == 0) continue;
                nonzero[j]++;
                abs[j] += Math.Abs(v);
                if (v != 1) graded[j]++;
            }
    }

    public PayloadActivity ToActivity() =>
        new(_streams, _steps, [.. _sizes], [.. _nonzero.Select(a => ImmutableArray.Create(a))], [.. _abs.Select(a => ImmutableArray.Create(a))], [.. _graded.Select(a => ImmutableArray.Create(a))]);
}

/// <summary>
/// The per-core traffic the actor mesh counts (<see cref="CoreTraffic"/>; docs/telemetry.md), computed from a fixed-point
/// golden-model run instead of a mesh run: the mesh's cores step with the same function (CoreStep) on the same fixed-point
/// network, so their payloads are the golden model's, and every count follows from them and the compiled mesh:
/// <list type="bullet">
/// <item>packets to each destination of the core's route decision at t: its units' nonzero payloads of t; payload
/// packets: those other than +1;</item>
/// <item>packets received at t: Σ over the source cores that deliver to it of their nonzero payloads of t;</item>
/// <item>synaptic events at t: per incoming connection, Σ over the source units of (nonzero payloads of t, or t − 1
/// for a one-step connection, none at t = 0) × the nonzero weights in that unit's column of the core's rows;</item>
/// <item>neuron updates: the core's units × the sequences, every step; spikes: Σ|n| over its units (quantized only).</item>
/// </list>
/// So <c>MeshTelemetry.From(mesh, streams, steps, OfflineTraffic.Cores(mesh, activity))</c> is the mesh run's telemetry.
/// </summary>
public static class OfflineTraffic
{
    /// <summary>Runs the golden model of <paramref name="mesh"/>'s fixed-point network and tallies its payloads.</summary>
    public static (SimulationResult Result, PayloadActivity Activity) Run(CompiledMesh mesh, ReadOnlySpan<double> inputs, int streams, int steps)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return Run(FixedPointSimulator.Create(mesh.Discretized.FixedPoint()), inputs, streams, steps);
    }

    /// <summary>Runs <paramref name="simulator"/> and tallies its payloads (several meshes of one fixed-point network share the run).</summary>
    public static (SimulationResult Result, PayloadActivity Activity) Run(FixedPointSimulator simulator, ReadOnlySpan<double> inputs, int streams, int steps)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        var tally = new PayloadTally(simulator.Network, streams, steps);
        var result = simulator.Run(inputs, streams, steps, tally);
        return (result, tally.ToActivity());
    }

    /// <summary>Per core, in placement order: what the actor mesh would count running <paramref name="activity"/>'s sequences on <paramref name="mesh"/>.</summary>
    public static ImmutableArray<CoreTraffic> Cores(CompiledMesh mesh, PayloadActivity activity)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(activity);
        var net = mesh.Network;
        var fixedNet = mesh.Discretized.FixedPoint();
        int[] sizes = [net.Input.Dimensions, .. net.Populations.Select(p => p.Size)];
        if (!activity.Sizes.SequenceEqual(sizes))
            throw new ArgumentException($"the payload activity's sources are sized [{string.Join(", ", activity.Sizes)}]; mesh '{mesh.Profile.Name}' has [{string.Join(", ", sizes)}] (input, then populations): not a run of its network");
        int steps = activity.Steps, streams = activity.Streams;
        var lookups = new NetworkIndex(net);
        var placements = mesh.Routed.Placed.Placements;

        // Per core, per step: its nonzero payloads (the packets it sends each destination), and those other than +1.
        var sent = new long[placements.Length][];
        var graded = new long[placements.Length][];
        for (int k = 0; k < placements.Length; k++)
        {
            var piece = placements[k].Piece;
            int s = lookups.PopulationIndex(piece.Population) + 1, n = sizes[s];
            var perStep = sent[k] = new long[steps];
            var gradedPerStep = graded[k] = new long[steps];
            var nz = activity.Nonzero[s].AsSpan();
            var g = activity.Graded[s].AsSpan();
            for (int t = 0; t < steps; t++)
                for (int j = piece.Start; j < piece.Start + piece.Count; j++)
                {
                    perStep[t] += nz[t * n + j];
                    gradedPerStep[t] += g[t * n + j];
                }
        }
        var destinations = Enumerable.Range(0, placements.Length).Select(k => mesh.Router.Resolve(k).Destinations).ToArray();
        var received = Enumerable.Range(0, placements.Length).Select(_ => new long[steps]).ToArray();
        for (int k = 0; k < placements.Length; k++)
            foreach (var d in destinations[k])
                for (int t = 0; t < steps; t++) received[d][t] += sent[k][t];

        var cores = ImmutableArray.CreateBuilder<CoreTraffic>(placements.Length);
        for (int k = 0; k < placements.Length; k++)
        {
            var piece = placements[k].Piece;
            int pi = lookups.PopulationIndex(piece.Population), s = pi + 1, n = sizes[s];
            var population = net.Populations[pi];
            var synaptic = new long[steps];
            foreach (int c in lookups.ConnectionsInto(pi))
            {
                var conn = net.Connections[c];
                var w = fixedNet.Weights[c];
                int src = lookups.SourceIndex(conn) + 1;
                // Per source unit: the nonzero weights in its column of this core's rows (the events one nonzero payload makes here).
                var column = new long[w.Sources];
                for (int i = piece.Start; i < piece.Start + piece.Count; i++)
                    for (int j = 0; j < w.Sources; j++)
                        if (w.Mantissas[i * w.Sources + j] != 0) column[j]++;
                bool oneStep = conn.Delay == Delay.OneStep;
                var nz = activity.Nonzero[src].AsSpan();
                for (int t = oneStep ? 1 : 0; t < steps; t++)
                {
                    int from = (oneStep ? t - 1 : t) * w.Sources;
                    long events = 0;
                    for (int j = 0; j < w.Sources; j++) events += nz[from + j] * column[j];
                    synaptic[t] += events;
                }
            }
            var spikes = new long[steps];
            if (population.IsQuantized)
            {
                var abs = activity.AbsSum[s].AsSpan();
                for (int t = 0; t < steps; t++)
                    for (int j = piece.Start; j < piece.Start + piece.Count; j++) spikes[t] += abs[t * n + j];
            }
            var updates = Enumerable.Repeat((long)piece.Count * streams, steps);
            var perDestination = ImmutableArray.Create(sent[k]);
            var payloadPerDestination = ImmutableArray.Create(graded[k]);
            cores.Add(new CoreTraffic(k, [.. synaptic], [.. updates], [.. spikes], [.. received[k]],
                destinations[k].ToImmutableDictionary(d => d, _ => perDestination),
                destinations[k].ToImmutableDictionary(d => d, _ => payloadPerDestination)));
        }
        return cores.MoveToImmutable();
    }

    /// <summary>The telemetry of <paramref name="activity"/>'s sequences on <paramref name="mesh"/>, without a mesh run.</summary>
    public static MeshTelemetry Telemetry(CompiledMesh mesh, PayloadActivity activity) =>
        MeshTelemetry.From(mesh, activity.Streams, activity.Steps, Cores(mesh, activity));
}
