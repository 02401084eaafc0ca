using System.Collections.Immutable;
using System.Diagnostics;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Hosting;
using HybridSpike.Host.Reports;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing.Tables;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Host.Services;

/// <summary>The busiest link of a combination: its packets, direction and ends (chip coordinates on a torus, core coordinates on a mesh).</summary>
internal sealed record BusiestLinkRow(long Packets, string Direction, int FromX, int FromY, int ToX, int ToY);

/// <summary>Routing-table entries over all chips: as the trees made them, with default routes left out, and after each compressor.</summary>
internal sealed record TableEntriesRow(long Built, long WithoutDefaultRoutes, ImmutableSortedDictionary<string, long> Compressed);

/// <summary>One combination (profile × placement) of <c>hybridspike traffic</c>; every count is over all the samples (docs/traffic.md).</summary>
/// <param name="PacketsInjected">Nonzero payloads sent by cores with at least one destination, once per payload (a multicast router's injected packets).</param>
/// <param name="PayloadPacketsInjected">Of <paramref name="PacketsInjected"/>, those whose count is not +1, which carry it as a payload (72 bits on SpiNNaker; the others travel key-only, 40 bits; docs/telemetry.md).</param>
/// <param name="Deliveries">Packets as the telemetry counts them: one nonzero payload arriving at one destination core.</param>
/// <param name="LinkTraversals">Σ over the links of their loads: copies on links (once per tree link when multicast).</param>
/// <param name="Hops">Σ over the deliveries of their routes' hops.</param>
/// <param name="InterChipShare">Deliveries whose two ends are on different chips ÷ all deliveries (0 when none).</param>
/// <param name="Tables">Null on profiles without routing tables.</param>
/// <param name="MeshChecked">Samples also run through the actor mesh with the same telemetry (0: not checked).</param>
/// <param name="RealTime">On real-time profiles (SpiNNaker): the peak step's load of its 1 ms budget, the time scale factor, the packets over capacity and the static energy (<see cref="RealTimeEstimate"/>); null on barrier-synchronized ones.</param>
internal sealed record TrafficRow(
    string Profile, string Placement, string Topology, int Cores, long Spikes, long PacketsInjected, long PayloadPacketsInjected, long Deliveries, long LinkTraversals, long Hops,
    BusiestLinkRow? BusiestLink, double InterChipShare, TableEntriesRow? Tables, double EnergyPerInferenceJoules, double SecondsPerStep,
    double CompileSeconds, int MeshChecked, RealTimeRow? RealTime);

/// <summary>The real-time model's figures for one combination, per inference.</summary>
internal sealed record RealTimeRow(double PeakLoad, double TimeScaleFactor, int StepsOverBudget, double PacketsOverCapacity, double StaticJoulesPerInference);

/// <param name="CommonWeightBits">The weight bits every profile was compiled with: the smallest of the chosen profiles'.</param>
/// <param name="WeightBits">Per profile, the weight bits it declares (before the common precision was applied).</param>
/// <param name="Title">The artifact's file name, or the generated network in words.</param>
/// <param name="Model">The artifact's path, or the generated network's parameters.</param>
/// <param name="Inputs">What the samples are.</param>
internal sealed record TrafficReport(string Title, string Model, string Inputs, int Samples, int Steps, string Exponents, int CommonWeightBits, ImmutableSortedDictionary<string, int> WeightBits,
    ImmutableArray<string> Compressors, ImmutableArray<TrafficRow> Rows);

/// <summary>
/// One network's traffic on several profiles and placements with the same spikes everywhere (<c>hybridspike traffic</c>;
/// docs/traffic.md): every combination compiled with row exponents and one common weight precision, so the fixed-point
/// network is the same (checked); the fixed-point golden model run once; each combination's traffic counted from that
/// run without actors (<see cref="OfflineTraffic"/>), and checked against the actor mesh on a few samples.
/// </summary>
internal static class TrafficService
{
    public static async Task<int> RunAsync(TrafficRequest request, TextWriter o, TextWriter err, CancellationToken cancel)
    {
        if (request.Report is { } report) Check.WritableFolder(report, "--report");
        var declared = request.Profiles.Select(Profiles.Get).ToImmutableArray();
        if (declared.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"--profiles: profile '{twice.Key}' is given twice");
        // One weight precision for all: the smallest, so that no profile holds weights another could not (docs/traffic.md).
        int common = declared.Min(p => p.Core.WeightBits);
        var profiles = declared.Select(p => p with { Core = p.Core with { WeightBits = common } }).ToImmutableArray();
        var source = request.Source switch
        {
            TrafficInput.Artifact a => TrafficSource.FromArtifact(a.Model, request.Data, request.Samples),
            TrafficInput.Generated g => TrafficSource.Generated(g.Network, request.Samples, g.Steps, g.Seed),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Source, "unknown traffic input"),
        };
        var network = source.Network;

        var options = CompileOptions.Default with { Exponents = ExponentBlock.Row };
        var combos = profiles.SelectMany(p => request.Placers.Select(placer => (Profile: p, Placer: placer))).ToList();
        // One combination at a time, its compiled mesh a local of StudyCombinationAsync only, so it is let go once its
        // row, mesh check and picture panel are made: a mesh of thousands of cores holds gigabytes of route decisions.
        var rows = ImmutableArray.CreateBuilder<TrafficRow>(combos.Count);
        var panels = new List<TrafficPanel>(combos.Count);
        await using var study = new Study(source, request.CheckMesh, err);
        foreach (var (profile, placer) in combos)
        {
            cancel.ThrowIfCancellationRequested();
            if (await StudyCombinationAsync(study, network, profile, placer, options, cancel).ConfigureAwait(false) is not { } done) return Cli.InternalError;
            rows.Add(done.Row);
            panels.Add(done.Panel);
        }

        var result = new TrafficReport(source.Title, source.Name, source.Inputs, source.Count, source.Steps, "row", common,
            declared.ToImmutableSortedDictionary(p => p.Name, p => p.Core.WeightBits, StringComparer.Ordinal), TableCompressors.Names, rows.MoveToImmutable());
        if (result.Rows.Select(r => r.Spikes).Distinct().Count() != 1)
            throw new InvalidOperationException($"the spikes differ between combinations ({string.Join(", ", result.Rows.Select(r => $"{r.Profile}/{r.Placement}: {r.Spikes}"))}) although the fixed-point networks are equal");
        if (request.Report is { } dir)
        {
            var files = TrafficFiles.Write(dir, result, panels);
            err.WriteLine($"report: {dir} ({string.Join(", ", files)})");
        }
        if (request.Json) { Cli.WriteJson(o, result); return 0; }
        o.Write(TrafficFiles.Markdown(result));
        return 0;
    }

    /// <summary>
    /// What the combinations of one study share: the golden model's run, made with the first combination's fixed-point
    /// network (which every later one must equal), and the local actor system of the mesh checks.
    /// </summary>
    private sealed class Study(TrafficSource source, int checkMesh, TextWriter err) : IAsyncDisposable
    {
        public TrafficSource Source => source;
        public int CheckMesh => checkMesh;
        public TextWriter Err => err;
        public (FixedPointNetwork Network, string Of)? Reference { get; private set; }
        public PayloadActivity? Activity { get; private set; }
        public PayloadActivity? CheckActivity { get; private set; }
        public double[] CheckInputs { get; private set; } = [];
        private MeshHost? _local;

        /// <summary>Runs the golden model once, on the first combination's network.</summary>
        public void Start(FixedPointNetwork network, string of, CancellationToken cancel)
        {
            Reference = (network, of);
            var simulator = FixedPointSimulator.Create(network);
            err.WriteLine($"traffic: {source.Inputs}; Ctrl-C stops");
            Activity = Tally(simulator, source, source.Count, cancel);
            if (checkMesh == 0) return;
            CheckActivity = Tally(simulator, source, checkMesh, cancel);
            CheckInputs = source.Read([.. Enumerable.Range(0, checkMesh)]);
        }

        public async Task<MeshHost> LocalAsync(CancellationToken cancel) => _local ??= await MeshHost.StartLocalAsync(cancel).ConfigureAwait(false);

        public async ValueTask DisposeAsync()
        {
            if (_local is not null) await _local.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One combination compiled, checked against the study's fixed-point network, counted and (on some samples) run on the mesh; null when the mesh check failed (said on stderr).</summary>
    private static async Task<(TrafficRow Row, TrafficPanel Panel)?> StudyCombinationAsync(Study study, NetworkDescription network, HardwareProfile profile,
        PlacementChoice placer, CompileOptions options, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        CompiledMesh mesh;
        try
        {
            mesh = Compiler.Compile(network, profile, placer.Strategy(), options);
        }
        catch (CompileException e)
        {
            throw new CompileException($"profile '{profile.Name}', placement {placer}: {e.Message}");
        }
        double seconds = watch.Elapsed.TotalSeconds;
        var fixedPoint = mesh.Discretized.FixedPoint();
        if (study.Reference is not { } r) study.Start(fixedPoint, $"profile '{profile.Name}', placement {placer}", cancel);
        else if (Difference(r.Network, fixedPoint) is { } d)
            throw new CompileException($"profile '{profile.Name}', placement {placer}: the fixed-point network differs from {r.Of}'s ({d}); the spikes would not be the same");

        var telemetry = OfflineTraffic.Telemetry(mesh, study.Activity!);
        var row = Row(mesh, placer.ToString()!, telemetry, seconds, 0);
        if (study.CheckMesh > 0)
        {
            var local = await study.LocalAsync(cancel).ConfigureAwait(false);
            study.Err.WriteLine($"mesh check: {study.CheckMesh} samples on {profile.Name}, {placer} placement");
            var run = await MeshRuntime.RunWithTelemetryAsync(local.System, mesh, [.. study.CheckInputs], study.CheckMesh, study.Source.Steps, null, cancel).ConfigureAwait(false);
            if (FirstDifference(OfflineTraffic.Telemetry(mesh, study.CheckActivity!), run.Telemetry) is { } d)
            {
                study.Err.WriteLine($"error: mesh check: on profile '{profile.Name}', placement {placer}, the actor mesh's telemetry of {study.CheckMesh} samples differs from the offline count: {d}");
                return null;
            }
            row = row with { MeshChecked = study.CheckMesh };
        }
        study.Err.WriteLine($"traffic: {profile.Name}, {placer} placement: compiled in {seconds:0.0} s, counted");
        return (row, TrafficPanel.Of(mesh, placer.ToString()!, telemetry));
    }

    /// <summary>The first <paramref name="count"/> sequences through the golden model, in batches of 50 in parallel, tallied.</summary>
    private static PayloadActivity Tally(FixedPointSimulator simulator, TrafficSource source, int count, CancellationToken cancel)
    {
        var batches = Batching.InOrder(count, 50).ToArray();
        var parts = new PayloadActivity[batches.Length];
        ReferenceEvaluation.InParallel(batches.Length, cancel, b =>
        {
            var positions = batches[b].ToArray();
            parts[b] = OfflineTraffic.Run(simulator, source.Read(positions), positions.Length, source.Steps).Activity;
        });
        return PayloadActivity.Add(parts);
    }

    private static TrafficRow Row(CompiledMesh mesh, string placer, MeshTelemetry t, double compileSeconds, int checkedSamples)
    {
        // A core's payloads go to all its destinations alike: one injected packet per nonzero payload of a core that has any.
        long injected = t.Cores.Where(c => !c.PacketsToPerStep.IsEmpty).Sum(c => c.PacketsToPerStep.Values.First().Sum());
        long payloadInjected = t.Cores.Where(c => !c.PayloadPacketsToPerStep.IsEmpty).Sum(c => c.PayloadPacketsToPerStep.Values.First().Sum());
        long hops = t.HopHistogram.Sum(h => h.Key * h.Value);
        long deliveries = t.IntraChipPackets + t.InterChipPackets;
        TableEntriesRow? tables = null;
        if (mesh.Router is TableRouter router)
        {
            var s = router.Tables.Summary;
            // Each chip's table without its default routes, compressed by every compressor there is (the profile's own is one of them).
            var compressed = TableCompressors.Names.ToImmutableSortedDictionary(name => name,
                name => router.Tables.Built.Sum(chip => (long)TableCompressors.For(name).Compress(chip.WithoutDefaultRoutes, router.Tables.EntryLimit).Count), StringComparer.Ordinal);
            tables = new TableEntriesRow(s.Built, s.WithoutDefaultRoutes, compressed);
        }
        var busiest = t.BusiestLink is { } b ? new BusiestLinkRow(b.Packets, b.Direction, b.FromX, b.FromY, b.ToX, b.ToY) : null;
        return new TrafficRow(mesh.Profile.Name, placer, mesh.Topology.Name, mesh.Cores.Length, t.Spikes, injected, payloadInjected, t.Packets, t.Links.Sum(l => l.Packets), hops,
            busiest, deliveries == 0 ? 0 : (double)t.InterChipPackets / deliveries, tables, t.EnergyPerInference, t.SecondsPerStep, compileSeconds, checkedSamples,
            RealTimeEstimate.Of(mesh, t) is { } rt ? new RealTimeRow(rt.PeakLoad, rt.TimeScaleFactor, rt.StepsOverBudget, rt.LinkPacketsOverCapacity + rt.RouterPacketsOverCapacity, rt.StaticJoulesPerInference) : null);
    }

    /// <summary>Where two fixed-point networks differ (populations, then each connection's mantissas and exponents), or null when they are equal.</summary>
    internal static string? Difference(FixedPointNetwork a, FixedPointNetwork b)
    {
        var (pa, pb) = (a.Network.Populations, b.Network.Populations);
        if (!pa.Select(p => (p.Name, p.Size)).SequenceEqual(pb.Select(p => (p.Name, p.Size)))) return "the populations differ";
        if (a.Weights.Length != b.Weights.Length) return $"{a.Weights.Length} and {b.Weights.Length} connections";
        for (int c = 0; c < a.Weights.Length; c++)
        {
            var conn = a.Network.Connections[c];
            if (!a.Weights[c].Mantissas.SequenceEqual(b.Weights[c].Mantissas)) return $"connection {conn.Source}->{conn.Target}: the mantissas";
            if (!a.Weights[c].RowExponents.SequenceEqual(b.Weights[c].RowExponents)) return $"connection {conn.Source}->{conn.Target}: the exponents";
        }
        return null;
    }

    /// <summary>The first count in which the mesh run's telemetry differs from the offline one (core by core, step by step, then the links), or null.</summary>
    internal static string? FirstDifference(MeshTelemetry offline, MeshTelemetry mesh)
    {
        if (offline.Cores.Length != mesh.Cores.Length) return $"{offline.Cores.Length} cores counted offline, {mesh.Cores.Length} on the mesh";
        for (int k = 0; k < offline.Cores.Length; k++)
        {
            var (e, a) = (offline.Cores[k], mesh.Cores[k]);
            foreach (var (what, x, y) in new[]
            {
                ("synaptic events", e.SynapticEventsPerStep, a.SynapticEventsPerStep), ("neuron updates", e.NeuronUpdatesPerStep, a.NeuronUpdatesPerStep),
                ("spikes", e.SpikesPerStep, a.SpikesPerStep), ("packets received", e.PacketsReceivedPerStep, a.PacketsReceivedPerStep),
            })
                for (int t = 0; t < x.Length; t++)
                    if (x[t] != y[t]) return $"core {e.Core} {what} at step {t}: offline {x[t]}, mesh {y[t]}";
            if (!e.PacketsToPerStep.Keys.Order().SequenceEqual(a.PacketsToPerStep.Keys.Order()))
                return $"core {e.Core}: destinations [{string.Join(", ", e.PacketsToPerStep.Keys.Order())}] offline, [{string.Join(", ", a.PacketsToPerStep.Keys.Order())}] on the mesh";
            foreach (var d in e.PacketsToPerStep.Keys.Order())
                for (int t = 0; t < e.Steps; t++)
                    if (e.PacketsToPerStep[d][t] != a.PacketsToPerStep[d][t]) return $"core {e.Core} packets to core {d} at step {t}: offline {e.PacketsToPerStep[d][t]}, mesh {a.PacketsToPerStep[d][t]}";
            // The payload packets' destinations are the packets' (MeshTelemetry.From checks it), so only their counts can differ.
            foreach (var d in e.PayloadPacketsToPerStep.Keys.Order())
                for (int t = 0; t < e.Steps; t++)
                    if (e.PayloadPacketsToPerStep[d][t] != a.PayloadPacketsToPerStep[d][t])
                        return $"core {e.Core} payload packets to core {d} at step {t}: offline {e.PayloadPacketsToPerStep[d][t]}, mesh {a.PayloadPacketsToPerStep[d][t]}";
        }
        if (offline.Links.Length != mesh.Links.Length) return $"{offline.Links.Length} links used offline, {mesh.Links.Length} on the mesh";
        for (int i = 0; i < offline.Links.Length; i++)
            if (offline.Links[i].Link != mesh.Links[i].Link || offline.Links[i].Packets != mesh.Links[i].Packets)
                return $"link {i}: {offline.Links[i].Link} with {offline.Links[i].Packets} packets offline, {mesh.Links[i].Link} with {mesh.Links[i].Packets} on the mesh";
        return null;
    }
}
