using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Host.Tests;

/// <summary><c>hybridspike node</c> in a process of its own and <c>simulate --cluster</c> spreading the cores over it.</summary>
[Collection(ProcessTests.Name)]
public sealed class ClusterCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-cluster-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Artifact() => TestArtifacts.SmallPsMnist(_dir);

    private string Hocon(string name, int port, int seed)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"""
            akka.remote.dot-netty.tcp.port = {port}
            akka.cluster.seed-nodes = ["akka.tcp://hybridspike@127.0.0.1:{seed}"]
            """);
        return path;
    }

    [Fact]
    public async Task Simulate_spreads_the_cores_over_a_node_process_and_gets_the_local_result_and_the_node_stops_cleanly()
    {
        var model = Artifact();
        int nodePort = FreePort(), selfPort = FreePort();
        while (selfPort == nodePort) selfPort = FreePort();
        string[] common = ["simulate", "--model", model, "--profile", "test", "--samples", "4", "--streams", "2", "--json"];

        // Alone, the coordinator gives up after the join timeout and says how many joined.
        var alone = CliRunner.Run([.. common, "--cluster", Hocon("alone.hocon", selfPort, selfPort), "--nodes", "2", "--join-timeout", "1"]);
        Assert.Equal(Cli.Unavailable, alone.ExitCode);
        Assert.Contains("only 1 of 2 mesh nodes joined", alone.Error);
        var stray = CliRunner.Run([.. common, "--nodes", "2"]);
        Assert.Equal(Cli.BadInput, stray.ExitCode);
        Assert.Contains("--nodes needs --cluster", stray.Error);

        var local = CliRunner.Run(common);
        Assert.True(local.ExitCode == 0, local.Error);

        // The node is the seed; the coordinator joins it.
        using var node = StartNode(Hocon("node.hocon", nodePort, nodePort));
        var nodeErr = new System.Text.StringBuilder();
        var joined = new TaskCompletionSource();
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); if (e.Data?.StartsWith("joined:") == true) joined.TrySetResult(); };
        node.BeginErrorReadLine();
        try
        {
            await joined.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var spread = CliRunner.Run([.. common, "--cluster", Hocon("self.hocon", selfPort, nodePort), "--nodes", "2", "--assign", "round-robin", "--join-timeout", "30"]);
            Assert.True(spread.ExitCode == 0, spread.Error);
            using var a = JsonDocument.Parse(local.Output);
            using var b = JsonDocument.Parse(spread.Output);
            foreach (var field in new[] { "meshAccuracy", "fixedPointAccuracy", "predictionsDifferingFromFixedPoint", "spikes", "packets", "synapticEvents", "energyPerInferenceJoules" })
                Assert.Equal(a.RootElement.GetProperty(field).GetRawText(), b.RootElement.GetProperty(field).GetRawText());
            Assert.Equal(a.RootElement.GetProperty("coreTable").GetRawText(), b.RootElement.GetProperty("coreTable").GetRawText());
            Assert.Equal(new[] { $"akka.tcp://hybridspike@127.0.0.1:{nodePort}", $"akka.tcp://hybridspike@127.0.0.1:{selfPort}" }.Order(),
                b.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()).Order());
            Assert.Equal(0, b.RootElement.GetProperty("predictionsDifferingFromFixedPoint").GetInt32());
        }
        finally
        {
            // SIGTERM (as a service manager stops it): the node leaves the cluster and exits 0.
            using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString()])) kill.WaitForExit();
            if (!node.WaitForExit(TimeSpan.FromSeconds(20))) node.Kill(true);
        }
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, nodeErr.ToString());
        Assert.Contains("stopped", nodeErr.ToString());
    }

    [Fact]
    public async Task A_second_node_on_a_port_already_taken_fails_to_start_saying_the_port_is_in_use()
    {
        int port = FreePort();
        var hocon = Hocon("taken.hocon", port, port);
        using var first = RunningProcess.Start("node", "--config", hocon);
        await first.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));

        // Akka's transport bound with SO_REUSEPORT: this second node used to start beside the first and join it.
        using var second = RunningProcess.Start("node", "--config", hocon);
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(30)), "the second node did not stop");
        Assert.Equal(Cli.Unavailable, second.Process.ExitCode);
        Assert.Equal($"error: port {port} on 127.0.0.1 is in use (another node or program listens there); stop it, or give this node another port (node --port, or the file's akka.remote.dot-netty.tcp.port)",
            second.Error.Trim());
        first.Signal("TERM");
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(20)), "the first node did not stop");
    }

    [Fact]
    public void A_node_file_with_a_bad_value_is_one_error_line_and_exit_1()
    {
        var path = Path.Combine(_dir, "frame.hocon");
        File.WriteAllText(path, $"akka.remote.dot-netty.tcp.maximum-frame-size = lots\n{File.ReadAllText(Hocon("x.hocon", 4053, 4053))}");
        var r = CliRunner.Run("node", "--config", path);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Equal($"error: {path}: akka.remote.dot-netty.tcp.maximum-frame-size is 'lots', not a size (like 16 MiB, 512 kB or 128000b)", r.Error.Trim());
    }

    [Fact]
    public void A_failed_cluster_run_with_json_leaves_stdout_empty_and_logs_Akkas_warnings_on_stderr()
    {
        // The seed is a port nobody listens on: Akka warns that it cannot associate, then the join times out.
        int self = FreePort(), seed = FreePort();
        while (seed == self) seed = FreePort();
        var r = CliRunner.RunProcess("simulate", "--model", Artifact(), "--profile", "test", "--samples", "2", "--json",
            "--cluster", Hocon("lonely.hocon", self, seed), "--nodes", "2", "--join-timeout", "3");
        Assert.Equal(Cli.Unavailable, r.ExitCode);
        Assert.Equal("", r.Output);
        Assert.Contains("[WARNING]", r.Error);
    }

    [Fact]
    public async Task SIGTERM_while_the_coordinator_waits_for_nodes_ends_it_at_once_with_143_saying_so()
    {
        int port = FreePort();
        using var coordinator = RunningProcess.Start("simulate", "--model", Artifact(), "--profile", "test", "--samples", "2", "--json",
            "--cluster", Hocon("waiting.hocon", port, port), "--nodes", "2", "--join-timeout", "600");
        await coordinator.WaitForLineAsync(l => l.StartsWith("cluster:") && l.Contains("waiting for 2 mesh nodes"), TimeSpan.FromSeconds(60));
        coordinator.Signal("TERM");
        // Not the 600 s of --join-timeout.
        Assert.True(coordinator.WaitForExit(TimeSpan.FromSeconds(20)), "the coordinator was still waiting 20 s after SIGTERM");
        Assert.Equal(143, coordinator.Process.ExitCode);
        Assert.Contains("simulate: interrupted by SIGTERM; nothing was written", coordinator.Error);
        Assert.Equal("", coordinator.Output);
    }

    [Fact]
    public async Task A_coordinator_interrupted_while_waiting_for_nodes_leaves_the_cluster_rather_than_vanish()
    {
        // The coordinator's address is the lower: had it vanished, the node (the other half of two, unreachable to it)
        // would have downed itself (keep-majority keeps the lowest address), 20 s later.
        int a = FreePort(), b = FreePort();
        while (a == b) b = FreePort();
        int coordinatorPort = Math.Min(a, b), nodePort = Math.Max(a, b);
        var nodeFile = Path.Combine(_dir, "info-node.hocon");
        File.WriteAllText(nodeFile, File.ReadAllText(Hocon("n.hocon", nodePort, nodePort)) + "\nakka.loglevel = INFO\n");
        using var node = RunningProcess.Start("node", "--config", nodeFile);
        await node.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        var coordinatorAddress = $"akka.tcp://hybridspike@127.0.0.1:{coordinatorPort}";

        using (var coordinator = RunningProcess.Start("simulate", "--model", Artifact(), "--profile", "test", "--samples", "2", "--json",
            "--cluster", Hocon("c.hocon", coordinatorPort, nodePort), "--nodes", "3", "--join-timeout", "600"))
        {
            await node.WaitForLineAsync(l => l.Contains($"Leader is moving node [{coordinatorAddress}] to [Up]"), TimeSpan.FromSeconds(30));
            coordinator.Signal("INT");
            Assert.True(coordinator.WaitForExit(TimeSpan.FromSeconds(20)), "the coordinator did not stop within 20 s of Ctrl-C");
            Assert.True(coordinator.Process.ExitCode == CtrlC.Interrupted, coordinator.Error);
        }
        // Akka on the node, at INFO: the member left (a vanished one is marked UNREACHABLE instead).
        await node.WaitForLineAsync(l => l.Contains($"Exiting confirmed [{coordinatorAddress}]"), TimeSpan.FromSeconds(30));
        node.Signal("TERM");
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(20)), "the node did not stop");
    }

    [Fact]
    public async Task Ctrl_C_during_a_cluster_run_exits_130_and_the_node_serves_the_next_run()
    {
        var model = Artifact();
        int nodePort = FreePort(), selfPort = FreePort();
        while (selfPort == nodePort) selfPort = FreePort();
        using var node = RunningProcess.Start("node", "--config", Hocon("node.hocon", nodePort, nodePort));
        await node.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        string[] run = ["simulate", "--model", model, "--profile", "test", "--streams", "1", "--json", "--cluster", Hocon("self.hocon", selfPort, nodePort), "--nodes", "2", "--join-timeout", "30"];

        // One step pushed at a time: a mesh run long enough to be interrupted in the middle, golden models short before it.
        using (var coordinator = RunningProcess.Start([.. run, "--samples", "100", "--chunk", "1"]))
        {
            // The mesh's progress shows the cores are deployed over both nodes and sequences are going through them.
            await coordinator.WaitForLineAsync(MidRun, TimeSpan.FromSeconds(90));
            coordinator.Signal("INT");
            Assert.True(coordinator.WaitForExit(TimeSpan.FromSeconds(20)), "the coordinator did not stop within 20 s of Ctrl-C");
            // Before, the coordinator's own actor system was shut down by the signal: exit 69, "node ... was removed".
            Assert.True(coordinator.Process.ExitCode == CtrlC.Interrupted, coordinator.Error);
            Assert.Contains("simulate: interrupted by Ctrl-C; nothing was written", coordinator.Error);
        }

        var next = CliRunner.RunProcess([.. run, "--samples", "2"]);
        Assert.True(next.ExitCode == 0, next.Error);
        Assert.False(node.Process.HasExited, node.Error);
        node.Signal("TERM");
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(20)), "the node did not stop");
        Assert.Equal(0, node.Process.ExitCode);
    }

    [Fact]
    public async Task Ctrl_C_during_a_local_run_exits_130_saying_nothing_was_written()
    {
        // 400 sequences: on a fast machine the last 40 of 100 could finish between the mid-run line and the signal.
        using var local = RunningProcess.Start("simulate", "--model", Artifact(), "--profile", "test", "--samples", "400", "--streams", "1", "--chunk", "1",
            "--report", Path.Combine(_dir, "report"));
        await local.WaitForLineAsync(MidRun, TimeSpan.FromSeconds(90));
        local.Signal("INT");
        Assert.True(local.WaitForExit(TimeSpan.FromSeconds(20)), "simulate did not stop within 20 s of Ctrl-C");
        Assert.True(local.Process.ExitCode == CtrlC.Interrupted, local.Error);
        Assert.Contains("simulate: interrupted by Ctrl-C; nothing was written", local.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "report")));
    }

    /// <summary>A progress line of the mesh with some sequences through it, not all ("mesh: 12/100 test sequences ...").</summary>
    private static bool MidRun(string line) =>
        System.Text.RegularExpressions.Regex.Match(line, "^mesh: ([0-9]+)/([0-9]+) ") is { Success: true } m
        && int.Parse(m.Groups[1].Value) is var done && done > 0 && done < int.Parse(m.Groups[2].Value);


    [Fact]
    public async Task Serve_over_a_cluster_spreads_its_mesh_and_streams_give_the_local_outputs()
    {
        var model = Artifact();
        int nodePort = FreePort(), selfPort = FreePort();
        while (selfPort == nodePort) selfPort = FreePort();
        using var node = StartNode(Hocon("serve-node.hocon", nodePort, nodePort));
        var nodeErr = new System.Text.StringBuilder();
        var joined = new TaskCompletionSource();
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); if (e.Data?.StartsWith("joined:") == true) joined.TrySetResult(); };
        node.BeginErrorReadLine();
        try
        {
            await joined.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var target = new Commands.CompileTarget("test", Mapping.Compile.ExponentBlock.Core, new Commands.PlacementChoice.Sequential());
            var cluster = new Commands.ClusterRequest(Hocon("serve-self.hocon", selfPort, nodePort), 2, Actors.Runtime.Deployment.NodeAssignment.RoundRobin, TimeSpan.FromSeconds(30), null, 0);
            var log = new StringWriter();
            double[] spread, local;
            await using (var app = await HybridSpike.Host.Serve.ServeApp.StartAsync(new HybridSpike.Host.Serve.ServeOptions(model, target, "http://127.0.0.1:0", 2, TimeSpan.FromSeconds(60), cluster), log, CancellationToken.None))
                spread = await OneDigit(new Uri(app.Addresses[0]), model);
            await using (var app = await HybridSpike.Host.Serve.ServeApp.StartAsync(new HybridSpike.Host.Serve.ServeOptions(model, target, "http://127.0.0.1:0", 2, TimeSpan.FromSeconds(60), null), TextWriter.Null, CancellationToken.None))
                local = await OneDigit(new Uri(app.Addresses[0]), model);
            Assert.Equal(local, spread);
            Assert.Contains($"cores on akka.tcp://hybridspike@127.0.0.1:", log.ToString());
            Assert.False(node.HasExited, nodeErr.ToString());
        }
        finally
        {
            using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString()])) kill.WaitForExit();
            if (!node.WaitForExit(TimeSpan.FromSeconds(20))) node.Kill(true);
        }
    }

    /// <summary>The first test digit through a service, its output at the last step.</summary>
    private static async Task<double[]> OneDigit(Uri service, string model)
    {
        var (digits, _) = Serve.ServeTestKit.Offline(model, 1);
        var inputs = digits[0];
        using var client = new Core.Serving.StreamClient(service);
        await using var s = await client.OpenAsync(new Core.Serving.OpenStreamRequest([inputs.Length - 1], "wait", null), CancellationToken.None);
        var reading = Task.Run(async () =>
        {
            double[]? o = null;
            await foreach (var f in s.ReadAllAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token)) if (f.Type == "output") o = f.Outputs;
            return o ?? throw new InvalidOperationException("no output");
        });
        await s.PushAsync(inputs, CancellationToken.None);
        await s.CompleteAsync(CancellationToken.None);
        return await reading;
    }

    private static Process StartNode(string hocon)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = false,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "hybridspike.dll"), "node", "--config", hocon }) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static int FreePort() => RunningProcess.FreePort();
}
