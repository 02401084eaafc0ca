using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Compile;
using HybridSpike.Actors.Profiles;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Telemetry;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Reports;
using HybridSpike.Training;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike simulate</c>: test sequences through the actor mesh, with traffic, energy and time, against the float and fixed-point models.</summary>
internal static class SimulateCommand
{
    internal sealed record SimulateReport(
        string Model, string Profile, int Cores, int Samples, int Steps,
        double MeshAccuracy, double FixedPointAccuracy, double FloatAccuracy, int PredictionsDifferingFromFixedPoint,
        long Spikes, long Packets, long SynapticEvents, long IntraChipPackets, long InterChipPackets,
        double EnergyPerInferenceJoules, double SecondsPerStep, LinkLoad? BusiestLink,
        IReadOnlyDictionary<int, long> HopHistogram, IReadOnlyList<CoreTraffic> CoreTable, IReadOnlyList<string>? Nodes = null);

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
        var report = new Option<string?>("--report") { Description = "Folder for report.json and cores.csv" };
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
            var config = Training.Config.TrainingConfig.Parse(artifact.Provenance.ConfigJson, path);
            var dataset = result.GetValue(data.Dataset);
            var seq = SequenceData.Load(config.Data with { TestLimit = n, Dataset = dataset ?? config.Data.Dataset, DataDirectory = dataset is null ? config.Data.DataDirectory : result.GetValue(data.DataDir) });
            var mesh = Compiler.Compile(artifact.Network, p, new SequentialPlacement(), CompileCommand.Options(result.GetValue(exponent)!));
            var err = result.InvocationConfiguration.Error;
            if (result.GetValue(clusterFile) is null && new Option[] { nodes, assign, joinTimeout }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } alone)
                throw new ArgumentException($"{alone.Name} needs --cluster");

            var floatEval = ReferenceEvaluation.Run(GoldenSimulator.Create(artifact), seq.Test, seq.View, cancel: cancel);
            var fixedSim = FixedPointSimulator.Create(mesh.Discretized.FixedPoint());
            var spread = result.GetValue(clusterFile) is { } file
                ? await NodeCommand.JoinAsync(file, result.GetValue(nodes), NodeCommand.ParseAssignment(result.GetValue(assign)!), TimeSpan.FromSeconds(result.GetValue(joinTimeout)), err, cancel)
                : ((ActorSystem System, MeshRunOptions Options)?)null;
            using var system = spread?.System ?? ActorSystem.Create("hybridspike", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off"));
            await using var leave = spread is null ? null : NodeCommand.LeaveOnExit(system);
            var options = spread?.Options ?? MeshRunOptions.Local;
            var traffic = new List<MeshTelemetry>();
            var raster = new RasterRecorder();
            int meshCorrect = 0, fixedCorrect = 0, differ = 0, done = 0;
            foreach (var positions in Core.Data.Batching.InOrder(seq.Test.Count, batch))
            {
                cancel.ThrowIfCancellationRequested();
                var x = new float[positions.Length * seq.Steps];
                var labels = new long[positions.Length];
                seq.View.Fill(seq.Test, positions.Span, x, labels);
                var inputs = Array.ConvertAll(x, v => (double)v);
                var run = await MeshRuntime.RunWithTelemetryAsync(system, mesh, ImmutableArray.Create(inputs), positions.Length, seq.Steps, done == 0 ? raster : null, options, cancel);
                var reference = fixedSim.Run(inputs, positions.Length, seq.Steps, null);
                for (int i = 0; i < positions.Length; i++)
                {
                    if (run.Result.Predictions[i] == labels[i]) meshCorrect++;
                    if (reference.Predictions[i] == labels[i]) fixedCorrect++;
                    if (run.Result.Predictions[i] != reference.Predictions[i]) differ++;
                }
                traffic.Add(run.Telemetry);
                done += positions.Length;
                err.WriteLine($"  {done}/{seq.Test.Count} sequences through {mesh.Cores.Length} cores" + (options.IsLocal ? "" : $" on {options.Nodes.Length} nodes"));
            }
            var r = Summarize(path, p, mesh, seq, meshCorrect, fixedCorrect, floatEval.Accuracy, differ, traffic)
                with { Nodes = options.IsLocal ? null : [.. options.Nodes.Select(a => a.ToString())] };
            if (result.GetValue(report) is { } dir)
            {
                Write(dir, r);
                var total = MeshTelemetry.From(mesh, r.Samples, r.Steps, r.CoreTable);
                MeshPlots.LinkLoadHeatmap(mesh, total, Path.Combine(dir, "link-load.png"));
                MeshPlots.TrafficPerStep(total, r.Steps, Path.Combine(dir, "traffic-per-step.png"));
                MeshPlots.SpikeRaster(raster.Seen, mesh.Network.Populations.Where(q => q.IsQuantized).ToDictionary(q => q.Name, q => q.Size), Path.Combine(dir, "spike-raster.png"));
                err.WriteLine($"report: {dir} (report.json, cores.csv, link-load.png, traffic-per-step.png, spike-raster.png)");
            }
            var o = result.InvocationConfiguration.Output;
            if (result.GetValue(json)) { Cli.WriteJson(o, r); return 0; }
            o.WriteLine($"{path} on {p.Name}: {r.Cores} cores, {r.Samples} test sequences x {r.Steps} steps" + (r.Nodes is { } used ? $", cores on {used.Count} nodes ({string.Join(", ", used)})" : ""));
            o.WriteLine($"accuracy: mesh {r.MeshAccuracy:P2}, fixed-point golden model {r.FixedPointAccuracy:P2} ({r.PredictionsDifferingFromFixedPoint} predictions differ), float64 {r.FloatAccuracy:P2}");
            o.WriteLine($"per inference: {r.Spikes / (double)r.Samples:0} spikes, {r.Packets / (double)r.Samples:0} packets ({r.InterChipPackets / (double)r.Samples:0} between chips), {r.SynapticEvents / (double)r.Samples:0} synaptic events");
            o.WriteLine($"energy per inference {MetricsText.Joules(r.EnergyPerInferenceJoules)}, time per step {r.SecondsPerStep * 1e9:0} ns");
            if (r.BusiestLink is { } b) o.WriteLine($"busiest link ({b.FromX},{b.FromY})->({b.ToX},{b.ToY}) {b.Direction}: {b.Packets} packets");
            o.WriteLine($"hops: {string.Join(" ", r.HopHistogram.OrderBy(h => h.Key).Select(h => $"{h.Key}:{h.Value}"))}");
            return 0;
        });
        return cmd;
    }

    private static SimulateReport Summarize(string path, HardwareProfile p, CompiledMesh mesh, SequenceData seq, int meshCorrect, int fixedCorrect, double floatAccuracy, int differ, List<MeshTelemetry> runs)
    {
        int n = seq.Test.Count;
        var cores = runs.SelectMany(t => t.Cores).GroupBy(c => c.Core).Select(g => new CoreTraffic(g.Key,
            g.Sum(c => c.SynapticEvents), g.Sum(c => c.NeuronUpdates), g.Sum(c => c.Spikes), g.Sum(c => c.PacketsSent), g.Sum(c => c.PacketsReceived),
            [.. Enumerable.Range(0, seq.Steps).Select(t => g.Sum(c => c.PacketsSentPerStep[t]))],
            g.SelectMany(c => c.PacketsTo).GroupBy(kv => kv.Key).ToImmutableDictionary(kv => kv.Key, kv => kv.Sum(x => x.Value)))).ToList();
        var total = MeshTelemetry.From(mesh, n, seq.Steps, cores);
        return new SimulateReport(path, p.Name, mesh.Cores.Length, n, seq.Steps,
            (double)meshCorrect / n, (double)fixedCorrect / n, floatAccuracy, differ,
            total.Spikes, total.Packets, total.SynapticEvents, total.IntraChipPackets, total.InterChipPackets,
            total.EnergyPerInference, total.SecondsPerStep, total.BusiestLink, total.HopHistogram, total.Cores);
    }

    private static void Write(string dir, SimulateReport r)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "report.json"), System.Text.Json.JsonSerializer.Serialize(r, Cli.Json));
        var csv = new StringBuilder("core,synaptic_events,neuron_updates,spikes,packets_sent,packets_received\n");
        foreach (var c in r.CoreTable)
            csv.AppendLine(string.Join(',', new object[] { c.Core, c.SynapticEvents, c.NeuronUpdates, c.Spikes, c.PacketsSent, c.PacketsReceived }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        File.WriteAllText(Path.Combine(dir, "cores.csv"), csv.ToString());
    }

    /// <summary>Keeps the first stream's counts of the first batch, for the raster.</summary>
    private sealed class RasterRecorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Core.Network.Population population, ReadOnlySpan<int> counts) =>
            Seen.Add((step, population.Name, counts[..population.Size].ToArray()));
    }
}
