using HybridSpike.Core.Data;
using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
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
    /// <summary>The cluster nodes the cores ran on (simulate --cluster); null when every core ran in this process.</summary>
    public IReadOnlyList<string>? Nodes { get; init; }

    /// <summary>The placement strategy's name when it is not the default sequential one (--placement random:SEED); null otherwise.</summary>
    public string? Placement { get; init; }
}

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
    /// <summary>A finished run: its report, the compiled mesh, the summed telemetry and the first sequence's counts (for the raster).</summary>
    internal sealed record Outcome(MeshRunReport Report, CompiledMesh Mesh, MeshTelemetry Total, IReadOnlyList<(int Step, string Population, int[] Counts)> Raster);

    /// <summary>The files <see cref="WriteFiles"/> writes, in order.</summary>
    public static readonly ImmutableArray<string> FileNames = ["report.json", .. TelemetryFiles.Files.Select(f => f.File), "link-load.png", "traffic-per-step.png", "spike-raster.png"];

    /// <summary>
    /// Runs the test split of <paramref name="seq"/> through <paramref name="mesh"/>, <paramref name="streams"/>
    /// sequences per batch, and the same sequences through the fixed-point golden model (compared prediction
    /// for prediction and by total spikes; its counts give the activity figures) and the float64 golden
    /// model of <paramref name="artifact"/>. A progress bar goes to
    /// <paramref name="progress"/> unless it is null.
    /// </summary>
    public static Task<Outcome> RunAsync(string model, ModelArtifact artifact, CompiledMesh mesh, SequenceData seq, int streams,
        TextWriter? progress, CancellationToken cancel) =>
        RunAsync(model, artifact, mesh, seq, streams, progress, null, MeshRunOptions.Local, cancel);

    /// <summary>As above, on <paramref name="system"/> (a cluster node) with the cores where <paramref name="options"/> puts them; a local actor system when null.</summary>
    public static async Task<Outcome> RunAsync(string model, ModelArtifact artifact, CompiledMesh mesh, SequenceData seq, int streams,
        TextWriter? progress, ActorSystem? system, MeshRunOptions options, CancellationToken cancel)
    {
        int n = seq.Test.Count, batch = Math.Max(1, streams);
        return await ProgressBar.RunAsync(progress, $"float64 golden model: {n} test sequences", async bar =>
        {
            var floatEval = ReferenceEvaluation.Run(GoldenSimulator.Create(artifact), seq.Test, seq.View, cancel: cancel);
            var fixedSim = FixedPointSimulator.Create(mesh.Discretized.FixedPoint());
            // A local actor system (MeshHosting.LocalConfig: the cores on dedicated threads, one per processor).
            await using var local = system is null ? await MeshHost.StartLocalAsync(cancel) : null;
            var actors = system ?? local!.System;
            var traffic = new List<MeshTelemetry>();
            var activity = new ActivityObserver(mesh.Network);
            var raster = new RasterRecorder();
            int meshCorrect = 0, fixedCorrect = 0, differ = 0, done = 0;
            void Show()
            {
                if (bar is null) return;
                bar.MaxValue = n;
                bar.Value = done;
                bar.Description = $"mesh: {done}/{n} test sequences through {mesh.Cores.Length} cores" + (options.IsLocal ? "" : $" on {options.Nodes.Length} nodes");
            }
            Show();
            foreach (var positions in Core.Data.Batching.InOrder(n, batch))
            {
                cancel.ThrowIfCancellationRequested();
                var (inputs, labels) = seq.Doubles(seq.Test, positions.Span);
                var run = await MeshRuntime.RunWithTelemetryAsync(actors, mesh, ImmutableArray.Create(inputs), positions.Length, seq.Steps, done == 0 ? raster : null, options, cancel);
                var reference = fixedSim.Run(inputs, positions.Length, seq.Steps, activity);
                activity.EndBatch(positions.Length, seq.Steps);
                for (int i = 0; i < positions.Length; i++)
                {
                    if (run.Result.Predictions[i] == labels[i]) meshCorrect++;
                    if (reference.Predictions[i] == labels[i]) fixedCorrect++;
                    if (run.Result.Predictions[i] != reference.Predictions[i]) differ++;
                }
                traffic.Add(run.Telemetry);
                done += positions.Length;
                Show();
            }
            var (metrics, fixedSpikes) = activity.Metrics((double)fixedCorrect / n);
            var (report, total) = Summarize(model, mesh, seq, meshCorrect, fixedCorrect, floatEval.Accuracy, differ, metrics, fixedSpikes, traffic);
            return new Outcome(report with
            {
                Nodes = options.IsLocal ? null : [.. options.Nodes.Select(a => a.ToString())],
                Placement = mesh.Placement == new SequentialPlacement().Name ? null : mesh.Placement,
            }, mesh, total, raster.Seen);
        });
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

    private static (MeshRunReport, MeshTelemetry) Summarize(string model, CompiledMesh mesh, SequenceData seq, int meshCorrect, int fixedCorrect, double floatAccuracy, int differ,
        MetricsReport metrics, long fixedSpikes, List<MeshTelemetry> runs)
    {
        int n = seq.Test.Count;
        var total = MeshTelemetry.Combine(mesh, runs);
        var placements = mesh.Routed.Placed.Placements;
        var report = new MeshRunReport(model, mesh.Profile.Name, mesh.Cores.Length, n, seq.Steps,
            (double)meshCorrect / n, (double)fixedCorrect / n, floatAccuracy, differ,
            metrics.Overall.ActivityBits, metrics.Overall.SpikesPerUnitPerStep, fixedSpikes,
            total.Spikes, total.Packets, total.SynapticEvents, total.IntraChipPackets, total.InterChipPackets,
            total.EnergyPerInference, total.SecondsPerStep, total.BusiestLink is { } b ? LinkReport.Of(b) : null,
            total.HopHistogram, [.. total.Cores.Select(c => CoreReport.Of(c, placements[c.Core]))],
            total.NeuronUpdates, total.PacketsReceived, total.Energy, total.SecondsPerInference,
            total.PerStep.IsEmpty ? 0 : total.PerStep.Max(s => s.Time.TotalSeconds), total.Links.Length);
        return (report, total);
    }

    /// <summary>Counts every population's activity over all batches (the fixed-point golden model's counts).</summary>
    private sealed class ActivityObserver(NetworkDescription network) : IActivityObserver
    {
        private readonly Dictionary<string, ActivityAccumulator> _accumulators = ActivityAccumulator.ForNetwork(network).ToDictionary(a => a.Population);

        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) =>
            _accumulators[population.Name].AddStep(counts, counts.Length / population.Size, step);

        /// <summary>After each batch: the non-quantized populations count its sequences and steps too.</summary>
        public void EndBatch(int streams, int steps)
        {
            foreach (var a in _accumulators.Values.Where(a => !a.IsQuantized)) a.Add([], streams, steps);
        }

        public (MetricsReport Report, long Spikes) Metrics(double accuracy) =>
            (MetricsReport.Create(network, _accumulators.Values, accuracy, null), _accumulators.Values.Sum(a => a.Totals().SumMagnitude));
    }

    /// <summary>Keeps the first stream's counts of the first batch, for the raster.</summary>
    private sealed class RasterRecorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) =>
            Seen.Add((step, population.Name, counts[..population.Size].ToArray()));
    }
}
