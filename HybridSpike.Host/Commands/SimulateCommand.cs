using HybridSpike.Core.Data;
using System.CommandLine;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Artifact;
using HybridSpike.Host.Reports;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike simulate</c>: test sequences through the actor mesh, with traffic, energy and time, against the float and fixed-point models.</summary>
internal static class SimulateCommand
{
    public static Command Build()
    {
        var cmd = new Command("simulate", "Run test sequences through the actor mesh of a compiled network; report accuracy, spikes, packets, energy and time");
        var model = new Option<string>("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
        var profile = new Option<string>("--profile") { Description = "Profile name (" + string.Join(", ", Profiles.Names) + ") or a profile JSON file", DefaultValueFactory = _ => "loihi" };
        var data = DataCommands.DatasetOptions.Create();
        data.Dataset.DefaultValueFactory = null;
        var samples = new Option<int>("--samples") { Description = "Test sequences to run", DefaultValueFactory = _ => 20 };
        var streams = new Option<int>("--streams") { Description = "Sequences run through the mesh at once (each message carries all of them)", DefaultValueFactory = _ => 10 };
        var exponent = new Option<string>("--exponent") { Description = "Weights sharing one exponent: core (per core block) or row (per target unit)", DefaultValueFactory = _ => "core" };
        exponent.AcceptOnlyFromAmong("core", "row");
        var report = new Option<string?>("--report") { Description = "Folder for report.json, the telemetry CSV files (cores, core-steps, steps, links, hops; docs/telemetry.md) and the pictures (link load, traffic per step, spike raster)" };
        var clusterFile = new Option<string?>("--cluster") { Description = "Join the cluster of this node HOCON file (cluster-config/) and spread the cores over its mesh nodes" };
        var nodes = new Option<int>("--nodes") { Description = "With --cluster: mesh nodes to use (this one included); waits until that many have joined", DefaultValueFactory = _ => 2 };
        var assign = new Option<string>("--assign") { Description = "With --cluster: cores to nodes in contiguous blocks, round-robin, or by chip", DefaultValueFactory = _ => "blocks" };
        assign.AcceptOnlyFromAmong("blocks", "round-robin", "chip");
        var joinTimeout = new Option<int>("--join-timeout") { Description = "With --cluster: seconds to wait for the nodes to join", DefaultValueFactory = _ => 60 };
        var json = Cli.JsonOption();
        foreach (var o in new Option[] { model, profile, exponent, samples, streams, report, clusterFile, nodes, assign, joinTimeout, json }) cmd.Options.Add(o);
        data.AddTo(cmd);
        cmd.SetAction(async (result, cancel) =>
        {
            var path = CompileCommand.ArtifactPath(result.GetValue(model)!);
            var artifact = ArtifactFile.Read(path);
            var p = Profiles.Get(result.GetValue(profile)!);
            int n = result.GetValue(samples), batch = Math.Max(1, result.GetValue(streams));
            if (n <= 0) throw new ArgumentException($"--samples must be positive, got {n}");
            var config = DataConfig.ForArtifact(artifact, path);
            var dataset = result.GetValue(data.Dataset);
            var seq = SequenceData.Load(config with { TestLimit = n, Dataset = dataset ?? config.Dataset, DataDirectory = dataset is null ? config.DataDirectory : result.GetValue(data.DataDir) });
            var mesh = Compiler.Compile(artifact.Network, p, new SequentialPlacement(), CompileCommand.Options(result.GetValue(exponent)!));
            var err = result.InvocationConfiguration.Error;
            if (result.GetValue(clusterFile) is null && new Option[] { nodes, assign, joinTimeout }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } alone)
                throw new ArgumentException($"{alone.Name} needs --cluster");

            var spread = result.GetValue(clusterFile) is { } file
                ? await NodeCommand.JoinAsync(file, result.GetValue(nodes), NodeCommand.ParseAssignment(result.GetValue(assign)!), TimeSpan.FromSeconds(result.GetValue(joinTimeout)), err, cancel)
                : ((Akka.Actor.ActorSystem System, Actors.Runtime.MeshRunOptions Options)?)null;
            using var clusterSystem = spread?.System;
            await using var leave = spread is null ? null : NodeCommand.LeaveOnExit(spread.Value.System);
            var run = await MeshRunner.RunAsync(path, artifact, mesh, seq, batch, err, spread?.System, spread?.Options ?? Actors.Runtime.MeshRunOptions.Local, cancel);
            var r = run.Report;
            if (result.GetValue(report) is { } dir)
            {
                var files = MeshRunner.WriteFiles(dir, r, run);
                err.WriteLine($"report: {dir} ({string.Join(", ", files)})");
            }
            var o = result.InvocationConfiguration.Output;
            if (result.GetValue(json)) { Cli.WriteJson(o, r); return 0; }
            o.WriteLine($"{path} on {p.Name}: {r.Cores} cores, {r.Samples} test sequences x {r.Steps} steps" + (r.Nodes is { } used ? $", cores on {used.Count} nodes ({string.Join(", ", used)})" : ""));
            o.WriteLine($"accuracy: mesh {r.MeshAccuracy:P2}, fixed-point golden model {r.FixedPointAccuracy:P2} ({r.PredictionsDifferingFromFixedPoint} predictions differ), float64 {r.FloatAccuracy:P2}");
            o.WriteLine($"spikes: mesh {r.Spikes}, fixed-point golden model {r.FixedPointSpikes} ({(r.Spikes == r.FixedPointSpikes ? "equal" : "DIFFERENT")}); activity {r.ActivityBits:0.00} bits per unit, {r.SpikesPerUnitPerStep:0.0000} spikes per unit and step");
            o.WriteLine($"per inference: {r.Spikes / (double)r.Samples:0} spikes, {r.Packets / (double)r.Samples:0} packets ({r.InterChipPackets / (double)r.Samples:0} between chips), {r.SynapticEvents / (double)r.Samples:0} synaptic events");
            o.WriteLine($"energy per inference {MetricsText.Joules(r.EnergyPerInferenceJoules)}, time per step {r.SecondsPerStep * 1e9:0} ns, {r.SecondsPerInference * 1e6:0.#} µs per {r.Steps}-step inference");
            if (r.BusiestLink is { } b) o.WriteLine($"busiest link ({b.FromX},{b.FromY})->({b.ToX},{b.ToY}) {b.Direction}: {b.Packets} packets");
            o.WriteLine($"hops: {string.Join(" ", r.HopHistogram.OrderBy(h => h.Key).Select(h => $"{h.Key}:{h.Value}"))}");
            return 0;
        });
        return cmd;
    }
}
