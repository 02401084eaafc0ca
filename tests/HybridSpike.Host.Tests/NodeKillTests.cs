using System.Text.Json;

namespace HybridSpike.Host.Tests;

/// <summary>
/// Three real node processes on loopback: <c>simulate --cluster</c> as the coordinator and two <c>hybridspike node</c>s.
/// One node is killed (SIGKILL, by its process id) in the middle of the run; the run recovers (docs/cluster.md) and its
/// report equals that of the run without a fault, prediction for prediction and count for count, and says what it
/// recovered from.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class NodeKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
    public async Task A_node_killed_mid_run_is_recovered_from_and_the_report_equals_the_fault_free_one()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        int seed = RunningProcess.FreePort(), other = RunningProcess.FreePort(), self = RunningProcess.FreePort();
        string[] common = ["simulate", "--model", model, "--profile", "test", "--samples", "80", "--streams", "2", "--json"];
        var faultFree = CliRunner.Run(common);
        Assert.True(faultFree.ExitCode == 0, faultFree.Error);

        using var a = RunningProcess.Start("node", "--config", Hocon("a.hocon", seed, seed));
        using var b = RunningProcess.Start("node", "--config", Hocon("b.hocon", other, seed));
        await a.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        await b.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        using var run = RunningProcess.Start("simulate", "--model", model, "--profile", "test", "--samples", "80", "--streams", "2", "--json",
            "--cluster", Hocon("self.hocon", self, seed), "--nodes", "3", "--assign", "round-robin", "--snapshot-interval", "500", "--join-timeout", "30");
        // The golden models run first; then the mesh, on all three.
        await run.WaitForLineAsync(l => l.StartsWith("mesh:"), TimeSpan.FromSeconds(60));
        await Task.Delay(1000);   // past a recovery point or two (--snapshot-interval 500)
        Assert.False(run.Process.HasExited, $"the run ended before the kill; stderr:\n{run.Error}");
        b.Signal("KILL");

        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(120)), $"the run did not end; stderr:\n{run.Error}");
        Assert.True(run.Process.ExitCode == 0, run.Error);
        using var expected = JsonDocument.Parse(faultFree.Output);
        using var actual = JsonDocument.Parse(run.Output);
        foreach (var field in new[] { "meshAccuracy", "fixedPointAccuracy", "predictionsDifferingFromFixedPoint", "spikes", "packets", "synapticEvents", "coreTable", "perSample" })
            Assert.Equal(expected.RootElement.GetProperty(field).GetRawText(), actual.RootElement.GetProperty(field).GetRawText());
        var recovery = Assert.Single(actual.RootElement.GetProperty("recoveries").EnumerateArray());
        Assert.Equal($"akka.tcp://hybridspike@127.0.0.1:{other}", recovery.GetProperty("lost")[0].GetProperty("node").GetString());
        Assert.Contains(run.ErrorLines, l => l.StartsWith($"recovered from node akka.tcp://hybridspike@127.0.0.1:{other}"));
        Assert.True(recovery.GetProperty("movedCores").GetArrayLength() > 0, "the killed node's cores moved");
        a.Signal("TERM");
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(20)), "the node left did not stop");
    }

    [Fact]
    public async Task A_node_killed_while_serve_streams_is_recovered_from_and_the_stream_gives_the_local_outputs()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        int seed = RunningProcess.FreePort(), other = RunningProcess.FreePort(), self = RunningProcess.FreePort();
        using var a = RunningProcess.Start("node", "--config", Hocon("a.hocon", seed, seed));
        using var b = RunningProcess.Start("node", "--config", Hocon("b.hocon", other, seed));
        await a.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        await b.WaitForLineAsync(l => l.StartsWith("joined:"), TimeSpan.FromSeconds(30));
        var target = new Commands.CompileTarget("test", Mapping.Compile.ExponentBlock.Core, new Commands.PlacementChoice.Sequential());
        var cluster = new Commands.ClusterRequest(Hocon("self.hocon", self, seed), 3, Actors.Runtime.Deployment.NodeAssignment.RoundRobin, TimeSpan.FromSeconds(30), 300, 0);
        // One stream of 12 digits back to back, read at each digit's last pixel; the node goes once the first output is out.
        var (digits, _) = Serve.ServeTestKit.Offline(model, 12);
        var inputs = digits.SelectMany(d => d).ToArray();
        var reads = Enumerable.Range(1, digits.Length).Select(k => (long)k * digits[0].Length - 1).ToArray();
        var log = new StringWriter();
        double[][] spread, local;
        string metrics;
        await using (var app = await HybridSpike.Host.Serve.ServeApp.StartAsync(new HybridSpike.Host.Serve.ServeOptions(model, target, "http://127.0.0.1:0", 2, TimeSpan.FromSeconds(60), cluster), log, CancellationToken.None))
        {
            spread = await Stream(new Uri(app.Addresses[0]), inputs, reads, () => b.Signal("KILL"));
            using var http = new HttpClient();
            metrics = await http.GetStringAsync(new Uri(new Uri(app.Addresses[0]), "/metrics"));
        }
        await using (var app = await HybridSpike.Host.Serve.ServeApp.StartAsync(new HybridSpike.Host.Serve.ServeOptions(model, target, "http://127.0.0.1:0", 2, TimeSpan.FromSeconds(60), null), TextWriter.Null, CancellationToken.None))
            local = await Stream(new Uri(app.Addresses[0]), inputs, reads, () => { });
        Assert.Equal(reads.Length, spread.Length);
        Assert.Equal(local, spread);
        Assert.Contains("\nhybridspike_serve_mesh_recoveries 1\n", metrics);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(10)), "the killed node is still there");
        a.Signal("TERM");
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(20)), "the node left did not stop");
    }

    /// <summary>One stream through a service, pushed a digit at a time; <paramref name="afterFirst"/> runs when the first output arrives.</summary>
    private static async Task<double[][]> Stream(Uri service, double[] inputs, long[] reads, Action afterFirst)
    {
        using var client = new Core.Serving.StreamClient(service);
        await using var s = await client.OpenAsync(new Core.Serving.OpenStreamRequest(reads, "wait", null), CancellationToken.None);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            var outputs = new List<double[]>();
            await foreach (var f in s.ReadAllAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token))
                if (f.Type == "output")
                {
                    outputs.Add(f.Outputs!);
                    first.TrySetResult();
                }
            return outputs.ToArray();
        });
        int digit = (int)reads[0] + 1;
        await s.PushAsync(inputs.AsMemory(0, digit).ToArray(), CancellationToken.None);
        await first.Task.WaitAsync(TimeSpan.FromSeconds(60));
        afterFirst();
        for (int at = digit; at < inputs.Length; at += digit)
            await s.PushAsync(inputs.AsMemory(at, digit).ToArray(), CancellationToken.None);
        await s.CompleteAsync(CancellationToken.None);
        return await reading;
    }
}
