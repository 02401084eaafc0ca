using HybridSpike.Core.Data;
using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Metrics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Hosting;
using HybridSpike.Host.Reports;

namespace HybridSpike.Host.Commands;

/// <summary>
/// A mesh run's report: simulate's JSON and report.json, the demo's <c>mesh</c> block. Every count is
/// the total over all <paramref name="Samples"/> sequences; docs/telemetry.md defines each field.
/// </summary>
/// <param name="ActivityBits">Activity bits of the quantized populations (docs/metrics.md), counted on the fixed-point golden model.</param>
/// <param name="SpikesPerUnitPerStep">Mean |n| per quantized unit per step, counted on the fixed-point golden model.</param>
/// <param name="FixedPointSpikes">Σ|n| of the fixed-point golden model on the same sequences: equal to <paramref name="Spikes"/>
/// (the mesh's) when the mesh followed it spike for spike.</param>
/// <param name="SecondsPerStep">The mean over the steps of one inference's time estimate per step.</param>
/// <param name="Energy">The energy estimate of the whole run (all samples), term by term.</param>
/// <param name="SecondsPerInference">One inference's time estimate: the sum of the steps'.</param>
/// <param name="MaxSecondsPerStep">The slowest step's time estimate.</param>
internal sealed record MeshRunReport(
    string Model, string Profile, int Cores, int Samples, int Steps,
    double MeshAccuracy, double FixedPointAccuracy, double FloatAccuracy, int PredictionsDifferingFromFixedPoint,
    double? ActivityBits, double? SpikesPerUnitPerStep, long FixedPointSpikes,
    long Spikes, long Packets, long SynapticEvents, long IntraChipPackets, long InterChipPackets,
    double EnergyPerInferenceJoules, double SecondsPerStep, LinkReport? BusiestLink,
    IReadOnlyDictionary<int, long> HopHistogram, IReadOnlyList<CoreReport> CoreTable,
    long NeuronUpdates, long PacketsReceived, EnergyEstimate Energy, double SecondsPerInference, double MaxSecondsPerStep, int LinkCount)
{
    /// <summary>Of <see cref="Packets"/>, those whose payload is not +1 (72-bit packets on SpiNNaker; the rest travel key-only, 40 bits).</summary>
    public long PayloadPackets { get; init; }

    /// <summary>Activity bits read per sequence (method.md's reading; <see cref="ActivityBits"/> is over the whole set: docs/metrics.md).</summary>
    public double? ActivityBitsPerSequence { get; init; }

    /// <summary>The cluster nodes the cores ran on (simulate --cluster); null when every core ran in this process.</summary>
    public IReadOnlyList<string>? Nodes { get; init; }

    /// <summary>The placement strategy's name when it is not the default sequential one (--placement random:SEED); null otherwise.</summary>
    public string? Placement { get; init; }

    /// <summary>On a real-time profile (SpiNNaker): whether one inference's traffic fits its steps (<see cref="RealTimeEstimate"/>); null on a barrier-synchronized one.</summary>
    public RealTimeReport? RealTime { get; init; }

    /// <summary>The lost cluster nodes the run recovered from (docs/cluster.md), in order; null when none was lost.</summary>
    public IReadOnlyList<RecoveryReport>? Recoveries { get; init; }

    /// <summary>simulate's per-sequence predictions and spikes, in test-split order; null (left out) in the demo's report.</summary>
    public IReadOnlyList<SampleReport>? PerSample { get; init; }
}

/// <summary>One recovery from lost nodes: what was lost and how, the recovery point, the cores moved, the steps replayed, and how long each part took.</summary>
internal sealed record RecoveryReport(IReadOnlyList<LostNodeReport> Lost, long FromStep, long ReplayedSteps, IReadOnlyList<int> MovedCores,
    DateTimeOffset DetectedAt, double ReplacementMs, double RestoreMs, double ReplayMs)
{
    public static RecoveryReport Of(Actors.Runtime.Recovery.MeshRecovery r) =>
        new([.. r.Lost.Select(l => new LostNodeReport(l.Node.ToString(), l.Reason))], r.FromStep, r.ReplayedSteps, [.. r.MovedCores], r.DetectedAt,
            r.Replacement.TotalMilliseconds, r.Restore.TotalMilliseconds, r.Replay.TotalMilliseconds);

    /// <summary>One line for the terminal.</summary>
    public override string ToString() =>
        $"recovered from {string.Join(" and ", Lost.Select(l => $"node {l.Node} ({l.Reason})"))}: every core restarted from the recovery point after mesh step {FromStep}, " +
        $"{MovedCores.Count} core(s) moved, {ReplayedSteps} steps replayed; re-placement {ReplacementMs:0.#} ms, restore {RestoreMs:0.#} ms, replay {ReplayMs:0.#} ms";
}

/// <summary>A lost node and how it was lost.</summary>
internal sealed record LostNodeReport(string Node, string Reason);

/// <summary>The real-time model's verdict on one inference (docs/telemetry.md): the peak step's load of its budget, the slowdown it forces, and the packets over capacity.</summary>
internal sealed record RealTimeReport(double StepSeconds, double PeakLoad, double TimeScaleFactor, bool FitsRealTime, int StepsOverBudget,
    double LinkPacketsOverCapacity, double RouterPacketsOverCapacity, string? BusiestRouter, double StaticJoulesPerInference)
{
    public static RealTimeReport Of(RealTimeEstimate e) => new(e.Limits.StepSeconds, e.PeakLoad, e.TimeScaleFactor, e.FitsRealTime, e.StepsOverBudget,
        e.LinkPacketsOverCapacity, e.RouterPacketsOverCapacity, e.BusiestRouter is { } n ? $"({n.X},{n.Y})" : null, e.StaticJoulesPerInference);
}

/// <summary>One test sequence of a mesh run (simulate's <c>perSample</c>).</summary>
/// <param name="Index">Its place in the test split (from 0).</param>
/// <param name="Mesh">The actor mesh's prediction.</param>
/// <param name="FixedPoint">The fixed-point golden model's prediction.</param>
/// <param name="Float">The float64 golden model's prediction.</param>
/// <param name="FixedPointSpikes">Σ|n| of the fixed-point golden model over this sequence's steps (the mesh's own per-sequence total is not
/// reported by the runtime: its telemetry is binned by stream step over all streams).</param>
internal sealed record SampleReport(int Index, long Label, int Mesh, int FixedPoint, int Float, long FixedPointSpikes);

/// <summary>A core's totals over the run (report.json's coreTable; cores.csv has the same).</summary>
/// <param name="Core">The core's place in the compiled mesh (its order of placement).</param>
/// <param name="PacketsSentPerStep">Per step: packets sent (all streams).</param>
/// <param name="PacketsTo">Per destination core: packets sent there.</param>
internal sealed record CoreReport(int Core, long SynapticEvents, long NeuronUpdates, long Spikes, long PacketsSent, long PacketsReceived,
    IReadOnlyList<long> PacketsSentPerStep, IReadOnlyDictionary<int, long> PacketsTo,
    string Population, int FirstUnit, int Units, int ChipX, int ChipY, int CoreX, int CoreY, int X, int Y)
{
    public static CoreReport Of(CoreTraffic c, Placement p) => new(c.Core, c.SynapticEvents, c.NeuronUpdates, c.Spikes, c.PacketsSent, c.PacketsReceived,
        c.PacketsSentPerStep, new SortedDictionary<int, long>(c.PacketsTo),
        p.Piece.Population, p.Piece.Start, p.Piece.Count, p.Core.ChipX, p.Core.ChipY, p.Core.CoreX, p.Core.CoreY, p.Core.X, p.Core.Y);
}

/// <summary>A link's load over the run (report.json's busiestLink; links.csv has every link).</summary>
internal sealed record LinkReport(int FromX, int FromY, int ToX, int ToY, string Direction, long Packets,
    bool CrossesChips, double MeanPacketsPerStep, long PeakPacketsPerStep, int PeakStep)
{
    public static LinkReport Of(LinkLoad l) => new(l.FromX, l.FromY, l.ToX, l.ToY, l.Direction, l.Packets, l.CrossesChips, l.MeanPacketsPerStep, l.PeakPacketsPerStep, l.PeakStep);
}

/// <summary>
/// An evaluation of a compiled network on the actor mesh: test sequences through the mesh next to the
/// float64 and fixed-point golden models, and the files of its report; shared by <c>simulate</c> and <c>demo</c>.
/// (The runtime's own run of one batch is MeshRuntime/MeshRun; this is the Host's whole evaluation.)
/// </summary>
internal static class MeshEvaluation
{
    /// <summary>
    /// A finished run: its report, the compiled mesh, the run's telemetry, the fixed-point golden model's counts of the
    /// first sequence (for the raster) and every sequence's predictions.
    /// </summary>
    internal sealed record Outcome(MeshRunReport Report, CompiledMesh Mesh, MeshTelemetry Total, IReadOnlyList<(int Step, string Population, int[] Counts)> Raster,
        IReadOnlyList<SampleReport> PerSample);

    /// <summary>The files <see cref="WriteFiles"/> writes, in order.</summary>
    public static readonly ImmutableArray<string> FileNames = ["report.json", .. TelemetryFiles.Files.Select(f => f.File), "link-load.png", "traffic-per-step.png", "spike-raster.png"];

    /// <summary>As <see cref="RunAsync(string, ModelArtifact, CompiledMesh, SequenceData, int, int?, TextWriter?, ActorSystem?, MeshRunOptions, CancellationToken)"/>, every core here, each sequence's input pushed whole.</summary>
    public static Task<Outcome> RunAsync(string model, ModelArtifact artifact, CompiledMesh mesh, SequenceData seq, int streams,
        TextWriter? progress, CancellationToken cancel) =>
        RunAsync(model, artifact, mesh, seq, streams, null, progress, null, MeshRunOptions.Local, cancel);

    /// <summary>
    /// Runs the test split of <paramref name="seq"/> through <paramref name="mesh"/>, deployed once with
    /// <paramref name="streams"/> stream slots: each sequence is a stream of its own, opened when a slot is free (so
    /// streams start staggered, at different steps at any time), its input pushed <paramref name="chunk"/> steps at a
    /// time (null: whole), its output read at its last step. The same sequences go through the fixed-point golden
    /// model (compared prediction for prediction and by total spikes; its counts give the activity figures) and the
    /// float64 golden model of <paramref name="artifact"/>. On <paramref name="system"/> (a cluster node) with the
    /// cores where <paramref name="options"/> puts them, or a local actor system when null. A progress bar goes to
    /// <paramref name="progress"/> unless it is null.
    /// </summary>
    public static async Task<Outcome> RunAsync(string model, ModelArtifact artifact, CompiledMesh mesh, SequenceData seq, int streams, int? chunk,
        TextWriter? progress, ActorSystem? system, MeshRunOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (chunk is < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "a chunk needs at least one step");
        int n = seq.Test.Count, batch = Math.Max(1, streams), steps = seq.Steps;
        return await ProgressBar.RunAsync(progress, $"float64 golden model: {n} test sequences", async bar =>
        {
            var labels = seq.Doubles(seq.Test, [.. Enumerable.Range(0, n)]).Labels;
            var floatPredictions = FloatPredictions(GoldenSimulator.Create(artifact), seq, cancel);
            double floatAccuracy = (double)Enumerable.Range(0, n).Count(i => floatPredictions[i] == labels[i]) / n;

            // The fixed-point golden model, batch by batch: its predictions, its counts for the activity figures and each
            // sequence's spikes. The raster is its first sequence's counts: the mesh's own counts are not recorded (that
            // would keep every core's counts of every stream, too much memory at hundreds of sequences); the mesh
            // follows the fixed-point model spike for spike (spikes = fixedPointSpikes in the report says whether it did).
            var fixedSim = FixedPointSimulator.Create(mesh.Discretized.FixedPoint());
            var activity = new ActivityObserver(mesh.Network, n);
            var raster = new RasterRecorder();
            var fixedPredictions = new int[n];
            foreach (var positions in Core.Data.Batching.InOrder(n, batch))
            {
                cancel.ThrowIfCancellationRequested();
                var (inputs, _) = seq.Doubles(seq.Test, positions.Span);
                activity.StartBatch(positions.Span[0], positions.Span[0] == 0 ? raster : null);
                var reference = fixedSim.Run(inputs, positions.Length, steps, activity);
                activity.EndBatch(positions.Length, steps);
                for (int i = 0; i < positions.Length; i++) fixedPredictions[positions.Span[i]] = reference.Predictions[i];
            }

            // A local actor system (MeshHosting.LocalConfig: the cores on dedicated threads, one per processor).
            await using var local = system is null ? await MeshHost.StartLocalAsync(cancel) : null;
            var actors = system ?? local!.System;
            var progressLock = new object();
            int done = 0;
            void Show()
            {
                if (bar is null) return;
                lock (progressLock)
                {
                    bar.MaxValue = n;
                    bar.Value = Volatile.Read(ref done);
                    bar.Description = $"mesh: {Volatile.Read(ref done)}/{n} test sequences through {mesh.Cores.Length} cores" + (options.IsLocal ? "" : $" on {options.Nodes.Length} nodes");
                }
            }
            Show();
            var (meshPredictions, total, recoveries) = await RunMeshAsync(actors, mesh, seq, Math.Min(batch, n), chunk ?? steps, options, () => { Interlocked.Increment(ref done); Show(); }, cancel);

            int meshCorrect = 0, fixedCorrect = 0, differ = 0;
            var perSample = new SampleReport[n];
            for (int i = 0; i < n; i++)
            {
                if (meshPredictions[i] == labels[i]) meshCorrect++;
                if (fixedPredictions[i] == labels[i]) fixedCorrect++;
                if (meshPredictions[i] != fixedPredictions[i]) differ++;
                perSample[i] = new SampleReport(i, labels[i], meshPredictions[i], fixedPredictions[i], floatPredictions[i], activity.SampleSpikes[i]);
            }
            var (metrics, fixedSpikes) = activity.Metrics((double)fixedCorrect / n);
            var report = Summarize(model, mesh, seq, meshCorrect, fixedCorrect, floatAccuracy, differ, metrics, fixedSpikes, total);
            return new Outcome(report with
            {
                Nodes = options.IsLocal ? null : [.. options.Nodes.Select(a => a.ToString())],
                Recoveries = recoveries.IsEmpty ? null : [.. recoveries.Select(RecoveryReport.Of)],
                Placement = mesh.Placement == new SequentialPlacement().Name ? null : mesh.Placement,
            }, mesh, total, raster.Seen, perSample);
        });
    }

    /// <summary>The float64 golden model's prediction for every test sequence (in batches of 50, in parallel, as ReferenceEvaluation runs it).</summary>
    private static int[] FloatPredictions(ISimulator simulator, SequenceData seq, CancellationToken cancel)
    {
        int n = seq.Test.Count;
        var predictions = new int[n];
        var batches = Core.Data.Batching.InOrder(n, 50).ToArray();
        ReferenceEvaluation.InParallel(batches.Length, cancel, b =>
        {
            var positions = batches[b].Span;
            var (inputs, _) = seq.Doubles(seq.Test, positions);
            var result = simulator.Run(inputs, positions.Length, seq.Steps, null);
            for (int i = 0; i < positions.Length; i++) predictions[positions[i]] = result.Predictions[i];
        });
        return predictions;
    }

    /// <summary>
    /// Every test sequence through one deployment of <paramref name="mesh"/> with <paramref name="slots"/> slots: as
    /// many workers, each taking the next sequence, opening a stream for it (waiting for a free slot), pushing its
    /// input <paramref name="chunk"/> steps at a time, reading the output of its last step and closing it; then the
    /// whole run's telemetry, collected once. <paramref name="closed"/> is called as each sequence's stream closes.
    /// </summary>
    private static async Task<(int[] Predictions, MeshTelemetry Telemetry, System.Collections.Immutable.ImmutableList<Actors.Runtime.Recovery.MeshRecovery> Recoveries)> RunMeshAsync(ActorSystem actors, CompiledMesh mesh, SequenceData seq, int slots, int chunk,
        MeshRunOptions options, Action closed, CancellationToken cancel)
    {
        int n = seq.Test.Count, steps = seq.Steps, dims = mesh.Network.Input.Dimensions;
        using var timeout = options.Timeout is { } t ? new CancellationTokenSource(t) : null;
        // The first failing worker stops the others (they may be waiting for a slot or pushing).
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout?.Token ?? CancellationToken.None);
        var token = failed.Token;
        try
        {
            await using var deployment = await MeshDeployment.StartAsync(actors, mesh, new DeploymentOptions(slots, options, false, null), token);
            var streamOptions = StreamOptions.Default.WithReads(OutputReads.AtSteps([steps - 1]));
            var predictions = new int[n];
            int next = -1;
            async Task Worker()
            {
                try
                {
                    for (int i = Interlocked.Increment(ref next); i < n; i = Interlocked.Increment(ref next))
                    {
                        var (inputs, _) = seq.Doubles(seq.Test, [i]);
                        var stream = await deployment.OpenAsync(streamOptions, token);
                        for (int from = 0; from < steps; from += chunk)
                            await stream.PushAsync(inputs.AsMemory(from * dims, Math.Min(chunk, steps - from) * dims), token);
                        stream.Complete();
                        StreamOutput? last = null;
                        await foreach (var o in stream.ReadAllAsync(token)) last = o;
                        await stream.Completion.WaitAsync(token);
                        predictions[i] = (last ?? throw new InvalidOperationException($"test sequence {i}: its stream closed without its last step's output")).Argmax;
                        closed();
                    }
                }
                catch
                {
                    await failed.CancelAsync();
                    throw;
                }
            }
            var workers = Enumerable.Range(0, slots).Select(_ => Worker()).ToArray();
            try { await Task.WhenAll(workers); }
            catch
            {
                // The first real error, not a worker cancelled because of it.
                var errors = workers.Where(w => w.IsFaulted).SelectMany(w => w.Exception!.InnerExceptions).ToList();
                if (errors.FirstOrDefault(e => e is not OperationCanceledException) is { } first)
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
                throw;
            }
            var telemetry = await deployment.CollectTelemetryAsync(n, steps, token);
            return (predictions, telemetry, deployment.Recoveries);
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the mesh run ({mesh.Cores.Length} cores, {n} sequences x {steps} steps, {slots} streams at once) did not finish within {options.Timeout}");
        }
        catch (StreamFailedException e) when (e.InnerException is { } inner)
        {
            // The deployment's own error (a core, a node), as from a batch run.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="report"/> as report.json, the telemetry's CSV files (<see cref="TelemetryFiles"/>) and the
    /// three pictures into <paramref name="dir"/>; returns the file names (docs/telemetry.md describes each).
    /// </summary>
    public static IReadOnlyList<string> WriteFiles<T>(string dir, T report, Outcome o)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, FileNames[0]), System.Text.Json.JsonSerializer.Serialize(report, Cli.Json));
        TelemetryFiles.Write(dir, o.Mesh, o.Total);
        MeshPlots.LinkLoadHeatmap(o.Mesh, o.Total, Path.Combine(dir, FileNames[^3]));
        MeshPlots.TrafficPerStep(o.Total, Path.Combine(dir, FileNames[^2]));
        MeshPlots.SpikeRaster(o.Raster, o.Mesh.Network.Populations.Where(q => q.IsQuantized).ToDictionary(q => q.Name, q => q.Size), Path.Combine(dir, FileNames[^1]));
        return FileNames;
    }

    private static MeshRunReport Summarize(string model, CompiledMesh mesh, SequenceData seq, int meshCorrect, int fixedCorrect, double floatAccuracy, int differ,
        MetricsReport metrics, long fixedSpikes, MeshTelemetry total)
    {
        int n = seq.Test.Count;
        var placements = mesh.Routed.Placed.Placements;
        var report = new MeshRunReport(model, mesh.Profile.Name, mesh.Cores.Length, n, seq.Steps,
            (double)meshCorrect / n, (double)fixedCorrect / n, floatAccuracy, differ,
            metrics.Overall.ActivityBits, metrics.Overall.SpikesPerUnitPerStep, fixedSpikes,
            total.Spikes, total.Packets, total.SynapticEvents, total.IntraChipPackets, total.InterChipPackets,
            total.EnergyPerInference, total.SecondsPerStep, total.BusiestLink is { } b ? LinkReport.Of(b) : null,
            total.HopHistogram, [.. total.Cores.Select(c => CoreReport.Of(c, placements[c.Core]))],
            total.NeuronUpdates, total.PacketsReceived, total.Energy, total.SecondsPerInference,
            total.PerStep.IsEmpty ? 0 : total.PerStep.Max(s => s.Time.TotalSeconds), total.Links.Length)
        {
            PayloadPackets = total.PayloadPackets,
            ActivityBitsPerSequence = metrics.Overall.ActivityBitsPerSequence,
            RealTime = RealTimeEstimate.Of(mesh, total) is { } rt ? RealTimeReport.Of(rt) : null,
        };
        return report;
    }

    /// <summary>
    /// Counts every population's activity over all batches (the fixed-point golden model's counts), each sequence's
    /// spikes (Σ|n| over its steps), and hands the counts on to a second observer (the raster) when one is set.
    /// </summary>
    private sealed class ActivityObserver(NetworkDescription network, int sequences) : IActivityObserver
    {
        private readonly Dictionary<string, ActivityAccumulator> _accumulators = ActivityAccumulator.ForNetwork(network).ToDictionary(a => a.Population);
        private int _first;
        private IActivityObserver? _also;

        /// <summary>Each sequence's Σ|n|, by its place in the test split.</summary>
        public long[] SampleSpikes { get; } = new long[sequences];

        /// <summary>Before each batch: the place of its first sequence, and who else sees its counts.</summary>
        public void StartBatch(int first, IActivityObserver? also) => (_first, _also) = (first, also);

        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts)
        {
            int streams = counts.Length / population.Size;
            _accumulators[population.Name].AddStep(counts, streams, step);
            for (int s = 0; s < streams; s++)
            {
                long sum = 0;
                foreach (var c in counts.Slice(s * population.Size, population.Size)) sum += Math.Abs(c);
                SampleSpikes[_first + s] += sum;
            }
            _also?.OnCounts(step, population, counts);
        }

        /// <summary>After each batch: the non-quantized populations count its sequences and steps too.</summary>
        public void EndBatch(int streams, int steps)
        {
            foreach (var a in _accumulators.Values.Where(a => !a.IsQuantized)) a.Add([], streams, steps);
        }

        public (MetricsReport Report, long Spikes) Metrics(double accuracy) =>
            (MetricsReport.Create(network, _accumulators.Values, accuracy, null), _accumulators.Values.Sum(a => a.Totals().SumMagnitude));
    }

    /// <summary>Keeps the first stream's counts of the batch it sees, for the raster.</summary>
    private sealed class RasterRecorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) =>
            Seen.Add((step, population.Name, counts[..population.Size].ToArray()));
    }
}
