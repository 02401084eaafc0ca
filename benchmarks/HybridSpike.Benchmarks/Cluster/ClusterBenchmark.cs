using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Recovery;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Benchmarks.Mesh;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Benchmarks.Cluster;

/// <summary>
/// The mesh over three cluster nodes on loopback against the same mesh in one process, on the same network and inputs, in
/// one run (issue 15; docs/benchmarks/cluster.md):
/// <list type="bullet">
/// <item>throughput at 1 and 64 streams, resident deployments (deployed once, not timed), stream-steps per second, median
/// of the repeats after a warm-up, every stream's output checked against the fixed-point golden model;</item>
/// <item>the wire: messages and bytes per mesh step between the nodes, counted at the mesh's serializers
/// (<see cref="WireMeter"/>) and on the sockets (<see cref="TcpCounters"/>), and bytes per spike;</item>
/// <item>recovery points: throughput with a point every K = 100, 1,000, 10,000 mesh steps against none;</item>
/// <item>recovery: a real <c>hybridspike node</c> process killed by its pid (SIGKILL) mid-run; detection (kill → the
/// coordinator sees it lost), re-placement, restore, replay and the whole, and the outputs checked equal to the
/// fault-free run's.</item>
/// </list>
/// The three nodes of the throughput runs are actor systems of this process with real remoting (TCP on 127.0.0.1) and the
/// mesh's MessagePack serializers, as tests/…/Cluster/TestCluster.cs; each has the cores' dedicated dispatcher of a
/// <c>hybridspike node</c> (one thread per processor), so the 2 cores are shared by three nodes' threads, as three node
/// processes on this machine would share them. Usage:
/// <c>dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- cluster [--quick] [--json] [--out FILE]</c>
/// </summary>
internal static class ClusterBenchmark
{
    private const string NetworkName = "generated, 3 x 300 units";

    /// <summary>One process against 3 nodes with the default recovery points (K = 1,000) and with none.</summary>
    private sealed record ThroughputRow(int Streams, int Steps, double LocalStepsPerSecond, double ClusterStepsPerSecond, double ClusterNoPointsStepsPerSecond)
    {
        public double Ratio => ClusterStepsPerSecond / LocalStepsPerSecond;

        public double RatioNoPoints => ClusterNoPointsStepsPerSecond / LocalStepsPerSecond;
    }

    /// <summary>
    /// Per mesh step between the nodes. A graded spike is one nonzero payload (a unit's count this step, one packet); its
    /// count is how many unit spikes it stands for (this network's ReLU units send counts of tens), so bytes are given per
    /// graded spike and per unit spike.
    /// </summary>
    private sealed record WireRow(int Streams, long MeshSteps, double MessagesPerStep, double BytesPerStep, double PayloadMessagesPerStep,
        double PayloadBytesPerStep, double ProgressMessagesPerStep, double GradedSpikesPerStep, double SpikesPerStep, double BytesPerStreamStep,
        double? BytesPerGradedSpike, double? BytesPerSpike, double? TcpBytesPerStep, double? TcpBytesPerGradedSpike);

    private sealed record SnapshotRow(int Streams, int Steps, int Interval, double StepsPerSecond, double BaselineStepsPerSecond, double PointsPerRun, double PointBytes)
    {
        public double Ratio => StepsPerSecond / BaselineStepsPerSecond;
    }

    private sealed record RecoveryRow(int Run, int Streams, int Steps, int Interval, long KilledAtStep, string Lost, string Reason, long FromStep, long ReplayedSteps,
        string MovedCores, double DetectionMs, double ReplacementMs, double RestoreMs, double ReplayMs, double TotalMs, double FaultFreeSeconds, double WithKillSeconds);

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick"), json = args.Contains("--json");
        int outAt = Array.IndexOf(args, "--out");
        string? outFile = outAt >= 0 && outAt + 1 < args.Length ? args[outAt + 1] : null;
        if (outAt >= 0 && outFile is null)
        {
            Console.Error.WriteLine("cluster: --out needs a file");
            return 2;
        }
        foreach (var a in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--quick" or "--json" or "--out")))
        {
            Console.Error.WriteLine($"cluster: unknown option {a} (--quick, --json, --out FILE)");
            return 2;
        }
        try
        {
            var report = await MeasureAsync(quick);
            var markdown = Markdown(report, quick);
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            else Console.WriteLine(markdown);
            if (outFile is not null) File.WriteAllText(outFile, markdown);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"cluster benchmark failed: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private sealed record Report(string Network, int Cores, long Synapses, string Assignment, IReadOnlyList<int> CoreNodes, IReadOnlyList<ThroughputRow> Throughput,
        IReadOnlyList<WireRow> Wire, long DeployBytes, IReadOnlyList<SnapshotRow> Snapshots, IReadOnlyList<RecoveryRow> Recoveries);

    private static async Task<Report> MeasureAsync(bool quick)
    {
        // The resident mesh benchmark's generated network (MeshThroughput's fallback, docs/benchmarks/mesh.md): 64 inputs,
        // three fully connected quantized ReLU layers of 300 units, 10 outputs, on loihi: one core per layer, 4 cores.
        var net = BenchNetworks.Layered(64, 300, 3, 5);
        var mesh = Compiler.Compile(net, Profiles.Get("loihi"), new SequentialPlacement());
        int dims = net.Input.Dimensions;
        WireMeter.Quantized = [.. mesh.Network.Populations.Select(p => p.IsQuantized)];
        long synapses = mesh.Discretized.FixedPoint().Weights.Sum(w => (long)w.Mantissas.Count(m => m != 0));
        // Runs of a second or two, on a machine other work may share: 7 repeats, the median.
        int repeats = quick ? 1 : 7;
        // Round-robin over [coordinator, b, c]: cores 0 and 3 (the input's and the output's) on the coordinator, 1 on b,
        // 2 on c, so every layer-to-layer edge crosses nodes: the most traffic between nodes this network can have.
        const NodeAssignment assignment = NodeAssignment.RoundRobin;
        var coreNodes = ClusterMesh.Assign(mesh, 3, assignment);
        Console.Error.WriteLine($"cluster benchmark: {NetworkName}, {synapses:N0} synapses, {mesh.Cores.Length} cores on loihi, {assignment} over 3 nodes (cores' nodes: {string.Join(" ", coreNodes)})");

        var throughput = new List<ThroughputRow>();
        var wire = new List<WireRow>();
        var snapshots = new List<SnapshotRow>();
        long deployBytes;
        await using (var cluster = await InProcessCluster.StartAsync(3))
        {
            var coordinator = cluster.Systems[0];
            var nodes = MeshRunOptions.OnNodes(cluster.Addresses, assignment);
            // Long enough that a run in one process lasts about half a second or more.
            foreach (var (streams, steps) in new[] { (1, quick ? 1000 : 30_000), (64, quick ? 100 : 3000) })
            {
                var inputs = BenchNetworks.UniformInputs(streams, steps, dims, 9);
                var expected = Expected(mesh, inputs, streams, steps);
                // The cluster with the default interval (1,000 mesh steps), what a deployment over nodes runs with unless told
                // otherwise, and with none (the messaging alone).
                var all = await MeasureAsync(coordinator, mesh, [MeshRunOptions.Local, nodes.WithSnapshotInterval(1000), nodes.WithSnapshotInterval(0)],
                    inputs, streams, steps, expected, repeats, cluster.Ports);
                var (local, spread) = (all[0], all[1]);
                var row = new ThroughputRow(streams, steps, local.StepsPerSecond, spread.StepsPerSecond, all[2].StepsPerSecond);
                throughput.Add(row);
                Console.Error.WriteLine(FormatThroughput(row));
                wire.Add(Wire(streams, steps, spread.Wire, spread.TcpBytes));
                Console.Error.WriteLine(FormatWire(wire[^1]));
            }
            deployBytes = await DeployBytesAsync(coordinator, mesh, nodes);

            // Recovery points: one stream over 2 x 10,000 steps, so that K = 10,000 takes two points in a run as the others
            // take theirs; and 64 streams, with a point every 100 or 1,000 of their mesh steps.
            foreach (var (streams, steps, intervals) in new[]
            {
                (1, quick ? 2000 : 20_000, new[] { 0, 100, 1000, 10_000 }),
                (64, quick ? 200 : 2000, new[] { 0, 100, 1000, 10_000 }),
            })
            {
                var inputs = BenchNetworks.UniformInputs(streams, steps, dims, 11);
                var expected = Expected(mesh, inputs, streams, steps);
                var all = await MeasureAsync(coordinator, mesh, [.. intervals.Select(nodes.WithSnapshotInterval)], inputs, streams, steps, expected, repeats, cluster.Ports);
                double baseline = all[Array.IndexOf(intervals, 0)].StepsPerSecond;
                foreach (var (k, m) in intervals.Zip(all))
                {
                    // A point asks every core (TakeSnapshot, "TS"), and the cores on other nodes answer over the wire ("ST").
                    int remoteCores = coreNodes.Count(n => n != 0);
                    double points = (double)m.Wire.Messages("TS") / remoteCores;
                    var row = new SnapshotRow(streams, steps, k, m.StepsPerSecond, baseline, points, points == 0 ? 0 : m.Wire.Bytes("ST") / points);
                    snapshots.Add(row);
                    Console.Error.WriteLine(FormatSnapshot(row));
                }
            }
        }

        var recoveries = new List<RecoveryRow>();
        for (int r = 0; r < (quick ? 1 : 2); r++)
        {
            recoveries.Add(await RecoveryAsync(mesh, assignment, r + 1, quick));
            Console.Error.WriteLine(FormatRecovery(recoveries[^1]));
        }
        return new Report(NetworkName, mesh.Cores.Length, synapses, assignment.ToString(), coreNodes, throughput, wire, deployBytes, snapshots, recoveries);
    }

    private static double[][] Expected(CompiledMesh mesh, double[] inputs, int streams, int steps)
    {
        var golden = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, streams, steps, null);
        return [.. Enumerable.Range(0, streams).Select(s => golden.Outputs.Row(s).ToArray())];
    }

    private sealed record Measured(double StepsPerSecond, WireCount Wire, long? TcpBytes);

    /// <summary>
    /// Stream-steps per second of <paramref name="streams"/> streams through one resident deployment per entry of
    /// <paramref name="runs"/> (all deployed first, not timed), all streams opened at once, each input pushed whole and
    /// read at its last step, checked against the golden model; median of <paramref name="repeats"/> after a warm-up.
    /// The deployments take turns, run by run, so that the load of a shared machine, which drifts over seconds, falls
    /// on all of them alike rather than on whichever was measured last. The wire counts are those of each median run.
    /// </summary>
    private static async Task<Measured[]> MeasureAsync(ActorSystem system, CompiledMesh mesh, MeshRunOptions[] runs, double[] inputs, int streams, int steps,
        double[][] expected, int repeats, IReadOnlyCollection<int> tcpPorts)
    {
        int dims = mesh.Network.Input.Dimensions;
        var deployments = new List<MeshDeployment>();
        try
        {
            foreach (var run in runs)
                deployments.Add(await MeshDeployment.StartAsync(system, mesh, new DeploymentOptions(streams, run, false, null), CancellationToken.None));
            var reads = StreamOptions.Default.WithReads(OutputReads.AtSteps([steps - 1]));
            async Task<double> Once(MeshDeployment deployment)
            {
                string where = deployment.Options.Run.IsLocal ? "one process" : $"3 nodes, K = {deployment.Options.Run.SnapshotInterval}";
                var sw = Stopwatch.StartNew();
                var tasks = Enumerable.Range(0, streams).Select(async s =>
                {
                    var stream = await deployment.OpenAsync(reads, CancellationToken.None);
                    await stream.PushAsync(inputs.AsMemory(s * steps * dims, steps * dims), CancellationToken.None);
                    stream.Complete();
                    StreamOutput? last = null;
                    await foreach (var o in stream.ReadAllAsync(CancellationToken.None)) last = o;
                    if (last is null || !last.Activity.AsSpan().SequenceEqual(expected[s]))
                        throw new InvalidOperationException($"{NetworkName}, {streams} streams ({where}): stream {s}'s output differs from the fixed-point golden model's");
                }).ToArray();
                await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(3));
                return (double)streams * steps / sw.Elapsed.TotalSeconds;
            }
            foreach (var d in deployments) await Once(d);
            var measured = runs.Select(_ => new List<Measured>()).ToArray();
            for (int r = 0; r < repeats; r++)
                for (int i = 0; i < deployments.Count; i++)
                {
                    WireMeter.Reset();
                    var before = TcpCounters.Read(tcpPorts);
                    double rate = await Once(deployments[i]);
                    var after = TcpCounters.Read(tcpPorts);
                    measured[i].Add(new Measured(rate, WireMeter.Take(), TcpCounters.Between(before, after)));
                }
            return [.. measured.Select(m => m.OrderBy(x => x.StepsPerSecond).ElementAt(m.Count / 2))];
        }
        finally
        {
            foreach (var d in deployments) await d.DisposeAsync();
        }
    }

    /// <summary>Bytes of hosting and wiring the cores on the other nodes (their weights, once per deployment).</summary>
    private static async Task<long> DeployBytesAsync(ActorSystem system, CompiledMesh mesh, MeshRunOptions run)
    {
        WireMeter.Reset();
        var deployment = await MeshDeployment.StartAsync(system, mesh, new DeploymentOptions(1, run.WithSnapshotInterval(0), false, null), CancellationToken.None);
        var bytes = WireMeter.Take().ByManifest.Where(kv => kv.Key.StartsWith("deploy:", StringComparison.Ordinal)).Sum(kv => kv.Value.Bytes);
        await deployment.DisposeAsync();
        return bytes;
    }

    private static WireRow Wire(int streams, int streamSteps, WireCount w, long? tcp)
    {
        double steps = Math.Max(1, w.MeshSteps);
        long bytes = w.Bytes(), payloadBytes = w.Bytes("P");
        return new WireRow(streams, w.MeshSteps, w.Messages() / steps, bytes / steps, w.Messages("P") / steps, payloadBytes / steps, w.Messages("PG") / steps,
            w.NonzeroPayloads / steps, w.Spikes / steps, (double)bytes / ((double)streams * streamSteps),
            w.NonzeroPayloads == 0 ? null : (double)bytes / w.NonzeroPayloads, w.Spikes == 0 ? null : (double)bytes / w.Spikes,
            tcp / steps, tcp is { } t && w.NonzeroPayloads > 0 ? (double)t / w.NonzeroPayloads : null);
    }

    /// <summary>
    /// One recovery, measured: a fresh cluster of the coordinator and a second node in this process and a third, the
    /// victim, a real <c>hybridspike node</c> process (reference.conf's failure detector: 1 s heartbeats, 3 s of acceptable
    /// pause, as every node runs). The workload runs once without a fault, then again with the victim killed (SIGKILL, by
    /// its pid) once stream 0 has its output of step <c>killAt</c> (between two recovery points); the outputs of every
    /// stream must equal the fault-free run's, and its last one the golden model's.
    /// </summary>
    private static async Task<RecoveryRow> RecoveryAsync(CompiledMesh mesh, NodeAssignment assignment, int index, bool quick)
    {
        int streams = 64, steps = quick ? 800 : 3000, interval = quick ? 250 : 1000;
        long killAt = quick ? 400 : 1500;
        int dims = mesh.Network.Input.Dimensions;
        var inputs = BenchNetworks.UniformInputs(streams, steps, dims, 13);
        var expected = Expected(mesh, inputs, streams, steps);
        int seedPort = FreePort(), secondPort = FreePort(), victimPort = FreePort();
        var dir = Directory.CreateTempSubdirectory("hs-cluster-bench-").FullName;
        var victimConfig = Path.Combine(dir, "victim.hocon");
        File.WriteAllText(victimConfig, $"""
            akka.remote.dot-netty.tcp.port = {victimPort}
            akka.cluster.seed-nodes = ["akka.tcp://hybridspike@127.0.0.1:{seedPort}"]
            """);
        var a = InProcessCluster.NodeSystem(seedPort, seedPort, counting: false);
        var b = InProcessCluster.NodeSystem(secondPort, seedPort, counting: false);
        using var victim = NodeProcess.Start(victimConfig);
        try
        {
            await victim.Joined.WaitAsync(TimeSpan.FromSeconds(60));
            var up = await ClusterMesh.WaitForNodesAsync(a, 3, TimeSpan.FromSeconds(60), CancellationToken.None);
            var victimAddress = up.Single(n => n.Port == victimPort);
            var options = MeshRunOptions.OnNodes([ClusterMesh.SelfAddress(a), ClusterMesh.SelfAddress(b), victimAddress], assignment).WithSnapshotInterval(interval);

            var faultFree = await RunStreamsAsync(a, mesh, options, inputs, streams, steps, null);
            long killed = 0;
            var kill = new Stopwatch();
            DateTimeOffset killedAt = default;
            var withKill = await RunStreamsAsync(a, mesh, options, inputs, streams, steps, (step, deployment) =>
            {
                if (step != killAt || Interlocked.Exchange(ref killed, 1) == 1) return;
                killedAt = DateTimeOffset.UtcNow;
                kill.Start();
                victim.Kill();
                // The whole recovery ends when the deployment logs it (after the point that follows the replay).
                _ = Task.Run(async () =>
                {
                    while (deployment.Recoveries.IsEmpty && kill.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(1);
                    kill.Stop();
                });
            });
            while (kill.IsRunning) await Task.Delay(10);
            if (killed == 0) throw new InvalidOperationException($"recovery run {index}: the victim was never killed (stream 0 did not reach step {killAt})");
            for (int s = 0; s < streams; s++)
            {
                if (faultFree.Outputs[s].Count != withKill.Outputs[s].Count)
                    throw new InvalidOperationException($"recovery run {index}: stream {s} got {withKill.Outputs[s].Count} outputs, the fault-free run {faultFree.Outputs[s].Count}");
                for (int i = 0; i < faultFree.Outputs[s].Count; i++)
                    if (faultFree.Outputs[s][i].Step != withKill.Outputs[s][i].Step || !faultFree.Outputs[s][i].Activity.SequenceEqual(withKill.Outputs[s][i].Activity))
                        throw new InvalidOperationException($"recovery run {index}: stream {s}'s output at step {faultFree.Outputs[s][i].Step} differs from the fault-free run's");
                if (!withKill.Outputs[s][^1].Activity.AsSpan().SequenceEqual(expected[s]))
                    throw new InvalidOperationException($"recovery run {index}: stream {s}'s last output differs from the fixed-point golden model's");
            }
            var recovery = withKill.Recoveries.Count == 1 ? withKill.Recoveries[0]
                : throw new InvalidOperationException($"recovery run {index}: {withKill.Recoveries.Count} recoveries, one expected");
            if (!recovery.Lost.Any(l => l.Node.Equals(victimAddress)))
                throw new InvalidOperationException($"recovery run {index}: the recovery lost {string.Join(", ", recovery.Lost.Select(l => l.Node))}, not the killed {victimAddress}");
            return new RecoveryRow(index, streams, steps, interval, killAt, victimAddress.ToString(), string.Join("; ", recovery.Lost.Select(l => l.Reason)),
                recovery.FromStep, recovery.ReplayedSteps, string.Join(" ", recovery.MovedCores),
                (recovery.DetectedAt - killedAt).TotalMilliseconds, recovery.Replacement.TotalMilliseconds, recovery.Restore.TotalMilliseconds,
                recovery.Replay.TotalMilliseconds, kill.Elapsed.TotalMilliseconds, faultFree.Seconds, withKill.Seconds);
        }
        finally
        {
            victim.Kill();
            await Task.WhenAll(a.Terminate(), b.Terminate()).WaitAsync(TimeSpan.FromSeconds(30));
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record StreamsRun(List<StreamOutput>[] Outputs, ImmutableList<MeshRecovery> Recoveries, double Seconds);

    /// <summary>
    /// The recovery workload: every stream opened at once and pushed whole, stream 0 read at every step (so that the kill
    /// can wait for a given step's output), the others at their last; <paramref name="onOutput"/> sees stream 0's steps.
    /// </summary>
    private static async Task<StreamsRun> RunStreamsAsync(ActorSystem system, CompiledMesh mesh, MeshRunOptions run, double[] inputs, int streams, int steps,
        Action<long, MeshDeployment>? onOutput)
    {
        int dims = mesh.Network.Input.Dimensions;
        var deployment = await MeshDeployment.StartAsync(system, mesh, new DeploymentOptions(streams, run, false, null), CancellationToken.None);
        try
        {
            var sw = Stopwatch.StartNew();
            var outputs = new List<StreamOutput>[streams];
            var tasks = Enumerable.Range(0, streams).Select(async s =>
            {
                var reads = s == 0 ? OutputReads.EveryStep : OutputReads.AtSteps([steps - 1]);
                var stream = await deployment.OpenAsync(StreamOptions.Default.WithReads(reads), CancellationToken.None);
                await stream.PushAsync(inputs.AsMemory(s * steps * dims, steps * dims), CancellationToken.None);
                stream.Complete();
                var list = outputs[s] = [];
                await foreach (var o in stream.ReadAllAsync(CancellationToken.None))
                {
                    list.Add(o);
                    if (s == 0) onOutput?.Invoke(o.Step, deployment);
                }
            }).ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(3));
            return new StreamsRun(outputs, deployment.Recoveries, sw.Elapsed.TotalSeconds);
        }
        finally
        {
            await deployment.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string FormatThroughput(ThroughputRow r) =>
        F($"| {r.Streams} | {r.Steps:N0} | {r.LocalStepsPerSecond:N0} | {r.ClusterStepsPerSecond:N0} | {r.Ratio:P0} | {r.ClusterNoPointsStepsPerSecond:N0} | {r.RatioNoPoints:P0} |");

    private static string Opt(double? x, string format) => x is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string FormatWire(WireRow r) =>
        F($"| {r.Streams} | {r.MeshSteps:N0} | {r.MessagesPerStep:N2} | {r.PayloadMessagesPerStep:N2} | {r.ProgressMessagesPerStep:N2} | {r.BytesPerStep:N0} | {r.PayloadBytesPerStep:N0} | {Opt(r.TcpBytesPerStep, "N0")} | {r.BytesPerStreamStep:N0} | {r.GradedSpikesPerStep:N0} | {r.SpikesPerStep:N0} | {Opt(r.BytesPerGradedSpike, "N2")} | {Opt(r.TcpBytesPerGradedSpike, "N2")} | {Opt(r.BytesPerSpike, "N3")} |");

    private static string FormatSnapshot(SnapshotRow r) =>
        F($"| {r.Streams} | {r.Steps:N0} | {(r.Interval == 0 ? "none (0)" : r.Interval.ToString("N0", CultureInfo.InvariantCulture))} | {r.PointsPerRun:N1} | {r.PointBytes:N0} | {r.StepsPerSecond:N0} | {r.Ratio:P0} |");

    private static string FormatRecovery(RecoveryRow r) =>
        F($"| {r.Run} | {r.Streams} x {r.Steps:N0}, K = {r.Interval:N0} | {r.KilledAtStep:N0} | {r.FromStep:N0} | {r.ReplayedSteps:N0} | {r.MovedCores} | {r.DetectionMs:N0} | {r.ReplacementMs:N1} | {r.RestoreMs:N0} | {r.ReplayMs:N0} | {r.TotalMs:N0} | {r.FaultFreeSeconds:N1} / {r.WithKillSeconds:N1} |");

    private static string Markdown(Report report, bool quick)
    {
        var sb = new StringBuilder();
        sb.AppendLine(F($"Network: {report.Network}, {report.Synapses:N0} synapses, {report.Cores} cores on loihi; 3 nodes, {report.Assignment} (core → node: {string.Join(", ", report.CoreNodes.Select((n, k) => $"{k}→{"abc"[n]}"))}; a = the coordinator){(quick ? "; --quick: short runs, 1 repeat" : "")}."));
        sb.AppendLine();
        sb.AppendLine("Throughput (stream-steps/s, median; 3 nodes with a recovery point every 1,000 mesh steps, the default, and with none):");
        sb.AppendLine();
        sb.AppendLine("| streams | steps per stream | one process | 3 nodes, K = 1,000 | against one process | 3 nodes, no points | against one process |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in report.Throughput) sb.AppendLine(FormatThroughput(r));
        sb.AppendLine();
        foreach (var r in report.Throughput.Where(r => r.Streams == 64))
            sb.AppendLine(F($"Target (64 streams, 3 nodes ≥ 50% of one process): {(r.Ratio >= 0.5 ? "**met**" : "**missed**")}, {r.Ratio:P0} ({r.ClusterStepsPerSecond:N0} against {r.LocalStepsPerSecond:N0} stream-steps/s; without recovery points {r.RatioNoPoints:P0})."));
        sb.AppendLine();
        sb.AppendLine("Wire between the nodes, per mesh step (counted at the mesh's serializers: message bodies; TCP: both directions of every connection between the nodes, from the kernel's counters, Akka's envelopes, heartbeats and gossip included):");
        sb.AppendLine();
        sb.AppendLine("| streams | mesh steps | messages | of them payloads | progress | bytes (bodies) | payload bytes | TCP bytes | bytes (bodies) per stream-step | graded spikes crossing | unit spikes crossing | bytes (bodies) per graded spike | TCP bytes per graded spike | bytes (bodies) per unit spike |");
        sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in report.Wire) sb.AppendLine(FormatWire(r));
        sb.AppendLine();
        sb.AppendLine(F($"Deploying (the cores' weights and wiring to the other nodes, once per deployment): {report.DeployBytes:N0} bytes."));
        sb.AppendLine();
        sb.AppendLine("Recovery points (3 nodes; stream-steps/s against none; points per run counted from the TakeSnapshot messages, bytes per point from the remote cores' answers):");
        sb.AppendLine();
        sb.AppendLine("| streams | steps per stream | K | points per run | bytes per point | stream-steps/s | against none |");
        sb.AppendLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var r in report.Snapshots) sb.AppendLine(FormatSnapshot(r));
        sb.AppendLine();
        sb.AppendLine("Recovery from a killed node (a `hybridspike node` process, SIGKILL by pid, once stream 0 has its output of the kill step; ms; outputs checked equal to the fault-free run's and the golden model's):");
        sb.AppendLine();
        sb.AppendLine("| run | workload | killed at step | point | replayed | moved cores | detection | re-placement | restore | replay | total (kill → recovered) | fault-free / with kill (s) |");
        sb.AppendLine("| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in report.Recoveries) sb.AppendLine(FormatRecovery(r));
        foreach (var r in report.Recoveries) sb.AppendLine(F($"\nRun {r.Run}: {r.Lost} {r.Reason}."));
        return sb.ToString();
    }
}

/// <summary>Three mesh nodes in this process on loopback (real remoting, the mesh's serializers counted), the first the seed and coordinator.</summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    public ImmutableArray<ActorSystem> Systems { get; }

    public ImmutableArray<Address> Addresses => [.. Systems.Select(ClusterMesh.SelfAddress)];

    public IReadOnlyCollection<int> Ports => [.. Addresses.Select(a => a.Port ?? -1)];

    private InProcessCluster(ImmutableArray<ActorSystem> systems) => Systems = systems;

    /// <summary>
    /// A node's actor system: reference.conf (what <c>hybridspike node</c> runs: the cluster, the serializers, the cores'
    /// dedicated dispatcher, Akka's failure detector) at <paramref name="port"/> with <paramref name="seed"/> as its seed;
    /// with <paramref name="counting"/> the mesh's serializers are the counted ones (the same bytes).
    /// </summary>
    public static ActorSystem NodeSystem(int port, int seed, bool counting)
    {
        var hocon = $$"""
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://{{ClusterNodeConfig.SystemName}}@127.0.0.1:{{seed}}"]
            # The benchmark stops its nodes at once (a killed one could not leave anyway); no graceful leave to wait for.
            akka.coordinated-shutdown.run-by-actor-system-terminate = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            akka.loglevel = ERROR
            """;
        if (counting)
            hocon += "\nakka.actor.serializers.hybridspike-runtime = \"HybridSpike.Benchmarks.Cluster.CountingRuntimeSerializer, HybridSpike.Benchmarks\"" +
                     "\nakka.actor.serializers.hybridspike-deployment = \"HybridSpike.Benchmarks.Cluster.CountingDeploymentSerializer, HybridSpike.Benchmarks\"";
        var system = ActorSystem.Create(ClusterNodeConfig.SystemName, ClusterNodeConfig.Parse(hocon, "cluster benchmark node").Config);
        ClusterMesh.StartNode(system);
        return system;
    }

    public static async Task<InProcessCluster> StartAsync(int count)
    {
        var ports = new List<int>();
        var systems = new List<ActorSystem>();
        for (int i = 0; i < count; i++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            ports.Add(((IPEndPoint)listener.LocalEndpoint).Port);
        }
        foreach (var p in ports) systems.Add(NodeSystem(p, ports[0], counting: true));
        var cluster = new InProcessCluster([.. systems]);
        await ClusterMesh.WaitForNodesAsync(systems[0], count, TimeSpan.FromSeconds(60), CancellationToken.None);
        return cluster;
    }

    public async ValueTask DisposeAsync() => await Task.WhenAll(Systems.Select(s => s.Terminate())).WaitAsync(TimeSpan.FromSeconds(30));
}

/// <summary>A <c>hybridspike node</c> in a process of its own (the Host's build beside this benchmark's), ended by its pid only.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _err = new();

    private NodeProcess(Process process) => _process = process;

    /// <summary>Completes when the node says it is up ("joined:" on stderr); fails if it exits first.</summary>
    public Task Joined => _joined.Task;

    public static NodeProcess Start(string config)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "hybridspike.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the benchmark project (it references HybridSpike.Host)");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { dll, "node", "--config", config }) start.ArgumentList.Add(a);
        var node = new NodeProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start hybridspike node"));
        node._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                node._joined.TrySetException(new InvalidOperationException($"hybridspike node exited before it joined; stderr:\n{node.Error}"));
                return;
            }
            lock (node._err) node._err.AppendLine(e.Data);
            if (e.Data.StartsWith("joined:", StringComparison.Ordinal)) node._joined.TrySetResult();
        };
        node._process.OutputDataReceived += (_, _) => { };
        node._process.BeginErrorReadLine();
        node._process.BeginOutputReadLine();
        return node;
    }

    public string Error { get { lock (_err) return _err.ToString(); } }

    /// <summary>SIGKILL to this process only (its id), if it still runs.</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: false); }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
