using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Reports;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Host.Services;

/// <summary>Test sequences through the actor mesh, with traffic, energy and time, against the float and fixed-point models (<c>hybridspike simulate</c>).</summary>
internal static class SimulateService
{
    /// <summary>Compiles, runs the mesh (here or over a cluster), writes the report to <paramref name="o"/> and the files; progress on <paramref name="err"/>.</summary>
    public static async Task<int> RunAsync(SimulateRequest request, TextWriter o, TextWriter err, CancellationToken cancel)
    {
        if (request.Report is { } report) Check.WritableFolder(report, "--report");
        var path = CompileService.ArtifactPath(request.Model);
        var artifact = ArtifactFile.Read(path);
        var p = Profiles.Get(request.Target.Profile);
        var (dataConfig, seq) = CompileService.TestSequences(artifact, path, request.Data, request.Samples, "--samples");
        var mesh = CompileService.Compile(artifact.Network, p, request.Target);

        MeshEvaluation.Outcome run;
        try
        {
            await using var coordinator = request.Cluster is { } cluster ? await NodeService.JoinAsync(cluster, err, cancel) : null;
            run = await MeshEvaluation.RunAsync(path, artifact, mesh, seq, request.Streams, request.Chunk, err, coordinator?.System,
                coordinator?.Options ?? Actors.Runtime.MeshRunOptions.Local, cancel);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is not OperationCanceledException)
        {
            // Interrupted, the deployment stops under the run and the run fails with whatever that broke (a stopped
            // deployment, a node "lost" as the coordinator leaves): the interruption is the cause, not those.
            throw new OperationCanceledException("simulate was interrupted", e, cancel);
        }
        var r = run.Report with { PerSample = run.PerSample };
        // The results are those of a run without the loss (docs/cluster.md); what was lost, and what it cost, is said.
        foreach (var recovery in r.Recoveries ?? []) err.WriteLine(recovery);
        if (request.Report is { } dir)
        {
            var files = MeshEvaluation.WriteFiles(dir, r, run);
            err.WriteLine($"report: {dir} ({string.Join(", ", files)})");
        }
        if (request.Json) { Cli.WriteJson(o, r); return 0; }
        o.WriteLine($"{path} on {p.Name}: {r.Cores} cores, {r.Samples} test sequences x {r.Steps} steps"
            + (r.Placement is { } placement ? $", {placement} placement" : "")
            + (r.Nodes is { } used ? $", cores on {used.Count} nodes ({string.Join(", ", used)})" : ""));
        o.WriteLine($"accuracy: mesh {r.MeshAccuracy:P2}, fixed-point golden model {r.FixedPointAccuracy:P2} ({r.PredictionsDifferingFromFixedPoint} predictions differ), float64 {r.FloatAccuracy:P2}");
        o.WriteLine($"spikes: mesh {r.Spikes}, fixed-point golden model {r.FixedPointSpikes} ({(r.Spikes == r.FixedPointSpikes ? "equal" : "DIFFERENT")}); activity {r.ActivityBitsPerSequence:0.00} bits per unit per sequence ({r.ActivityBits:0.00} over the whole set), {r.SpikesPerUnitPerStep:0.0000} spikes per unit and step");
        o.WriteLine($"per inference: {r.Spikes / (double)r.Samples:0} spikes, {r.Packets / (double)r.Samples:0} packets ({r.InterChipPackets / (double)r.Samples:0} between chips), {r.SynapticEvents / (double)r.Samples:0} synaptic events");
        // A real-time machine has no barrier-model time: its step is its timer's, and the line below says whether traffic fits it.
        o.WriteLine(r.RealTime is null
            ? $"energy per inference {MetricsText.Joules(r.EnergyPerInferenceJoules)}, time per step {r.SecondsPerStep * 1e9:0} ns, {r.SecondsPerInference * 1e6:0.#} µs per {r.Steps}-step inference"
            : $"energy per inference {MetricsText.Joules(r.EnergyPerInferenceJoules)} dynamic + {MetricsText.Joules(r.RealTime.StaticJoulesPerInference)} static (chips and cores in use over the inference as it would run)");
        if (r.RealTime is { } rt)
            o.WriteLine($"real time: the busiest step needs {rt.PeakLoad:P0} of its {rt.StepSeconds * 1e3:0.###} ms" +
                (rt.FitsRealTime ? ", so every step fits" : $"; {rt.StepsOverBudget} steps over, so it runs {rt.TimeScaleFactor:0.##}x slower than real time; over capacity per inference: {rt.LinkPacketsOverCapacity:0} link and {rt.RouterPacketsOverCapacity:0} router packets") +
                (rt.BusiestRouter is { } br ? $" (busiest router {br})" : ""));
        if (r.BusiestLink is { } b) o.WriteLine($"busiest link ({b.FromX},{b.FromY})->({b.ToX},{b.ToY}) {b.Direction}: {b.Packets} packets");
        o.WriteLine($"hops: {string.Join(" ", r.HopHistogram.OrderBy(h => h.Key).Select(h => $"{h.Key}:{h.Value}"))}");
        return 0;
    }
}
