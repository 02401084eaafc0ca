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

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
