using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Tests;

/// <summary>
/// <c>hybridspike cluster up|status|down</c> run as a user runs them (processes of their own): a local cluster started in
/// the background, a <c>simulate</c> on it, and a stop by process id that never signals a process it did not start.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class ClusterUpDownTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-up-").FullName;

    private string ClusterDir => Path.Combine(_dir, "cluster");

    public void Dispose()
    {
        // A test that failed half-way leaves its nodes recorded: end them, by their ids and only if they are still those processes.
        var record = Path.Combine(ClusterDir, "cluster.json");
        if (File.Exists(record))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(record));
            foreach (var n in json.RootElement.GetProperty("nodes").EnumerateArray())
                ProcessIdentity.Signal(n.GetProperty("pid").GetInt32(), n.GetProperty("startTicks").GetInt64(), ProcessIdentity.SigKill);
        }
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A base port with <paramref name="count"/> free loopback ports from it (the nodes' and the coordinator's).</summary>
    private static int FreePorts(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int first = RunningProcess.FreePort();
            if (first + count <= 65535 && Enumerable.Range(first, count).All(Free)) return first;
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found");
    }

    private static bool Free(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try { probe.Bind(new IPEndPoint(IPAddress.Loopback, port)); return true; }
        catch (SocketException) { return false; }
    }

    /// <summary>The command line of a live process, read from /proc (not through the code under test); null if it is gone or a zombie.</summary>
    private static string[]? CommandLine(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return null;
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException) { return null; }
    }

    [Fact]
    public void Up_with_the_clusters_certificate_starts_nodes_that_talk_TLS_and_a_run_on_them_gives_the_local_results()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        var certificate = TlsClusterTests.MakeCertificate(_dir, "up-password");
        // The nodes (and the in-process simulate below) read the password from the environment they inherit.
        var variable = "HS_TEST_UP_TLS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "up-password");
        try
        {
            int basePort = FreePorts(3);
            string[] common = ["simulate", "--model", model, "--profile", "test", "--samples", "10", "--json"];
            var local = CliRunner.Run(common);
            Assert.True(local.ExitCode == 0, local.Error);

            var up = CliRunner.RunProcess("cluster", "up", "2", "--dir", ClusterDir, "--base-port", basePort.ToString(), "--join-timeout", "40",
                "--tls-certificate", certificate, "--tls-password-env", variable, "--json");
            Assert.True(up.ExitCode == 0, up.Error);
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClusterDir, "cluster.json")));
            Assert.All(record.RootElement.GetProperty("nodes").EnumerateArray(), n => Assert.StartsWith("akka.ssl.tcp://", n.GetProperty("address").GetString()));
            Assert.DoesNotContain("up-password", File.ReadAllText(Path.Combine(ClusterDir, "node-1.hocon")));

            var spread = CliRunner.Run([.. common, "--cluster", Path.Combine(ClusterDir, "coordinator.hocon"), "--nodes", "3", "--join-timeout", "30"]);
            Assert.True(spread.ExitCode == 0, spread.Error);
            using (var a = JsonDocument.Parse(local.Output))
            using (var b = JsonDocument.Parse(spread.Output))
                foreach (var field in new[] { "meshAccuracy", "spikes", "packets", "perSample" })
                    Assert.Equal(a.RootElement.GetProperty(field).GetRawText(), b.RootElement.GetProperty(field).GetRawText());

            var down = CliRunner.RunProcess("cluster", "down", "--dir", ClusterDir);
            Assert.True(down.ExitCode == 0, down.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Theory]
    [InlineData(new[] { "--tls-certificate", "c.pfx" }, "--tls-certificate needs --tls-password-env")]
    [InlineData(new[] { "--tls-password-env", "PW" }, "--tls-password-env needs --tls-certificate")]
    public void TLS_options_come_as_a_pair(string[] options, string expected)
    {
        var r = CliRunner.Run(["cluster", "up", "2", "--dir", ClusterDir, .. options]);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(expected, r.Error);
    }

    [Fact]
    public void Up_starts_two_nodes_simulate_runs_on_them_with_the_local_results_and_down_stops_them()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        int basePort = FreePorts(3);
        string[] common = ["simulate", "--model", model, "--profile", "test", "--samples", "20", "--json"];
        var local = CliRunner.Run(common);
        Assert.True(local.ExitCode == 0, local.Error);

        var up = CliRunner.RunProcess("cluster", "up", "2", "--dir", ClusterDir, "--base-port", basePort.ToString(), "--join-timeout", "40", "--json");
        Assert.True(up.ExitCode == 0, up.Error);
        using var upJson = JsonDocument.Parse(up.Output);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClusterDir, "cluster.json")));
        var pids = record.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("pid").GetInt32()).ToArray();
        Assert.Equal(2, pids.Length);
        // Each recorded pid is a live `hybridspike node` with its own file: the nodes outlived the `up` that started them.
        for (int k = 0; k < 2; k++)
            Assert.Equal(new[] { "node", "--config", Path.Combine(ClusterDir, $"node-{k + 1}.hocon") }, CommandLine(pids[k])?[^3..]);
        Assert.Equal($"hybridspike simulate --model MODEL --cluster {Path.Combine(ClusterDir, "coordinator.hocon")} --nodes 3",
            upJson.RootElement.GetProperty("simulate").GetString());

        var again = CliRunner.RunProcess("cluster", "up", "2", "--dir", ClusterDir, "--base-port", (basePort + 10).ToString());
        Assert.Equal(Cli.BadInput, again.ExitCode);
        Assert.Contains("describes a cluster that is running", again.Error);

        var status = CliRunner.RunProcess("cluster", "status", "--dir", ClusterDir, "--json");
        Assert.True(status.ExitCode == 0, status.Error);
        using var statusJson = JsonDocument.Parse(status.Output);
        Assert.Equal(new[] { "running", "running" }, statusJson.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("state").GetString()));

        var spread = CliRunner.Run([.. common, "--cluster", Path.Combine(ClusterDir, "coordinator.hocon"), "--nodes", "3", "--assign", "round-robin", "--join-timeout", "30"]);
        Assert.True(spread.ExitCode == 0, spread.Error);
        using (var a = JsonDocument.Parse(local.Output))
        using (var b = JsonDocument.Parse(spread.Output))
        {
            foreach (var field in new[] { "meshAccuracy", "fixedPointAccuracy", "predictionsDifferingFromFixedPoint", "spikes", "packets", "synapticEvents", "coreTable", "perSample" })
                Assert.Equal(a.RootElement.GetProperty(field).GetRawText(), b.RootElement.GetProperty(field).GetRawText());
            Assert.Equal(Enumerable.Range(basePort, 3).Select(p => $"akka.tcp://hybridspike@127.0.0.1:{p}"),
                b.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()).Order());
        }

        var down = CliRunner.RunProcess("cluster", "down", "--dir", ClusterDir, "--json");
        Assert.True(down.ExitCode == 0, down.Error);
        Assert.All(pids, pid => Assert.Null(CommandLine(pid)));
        using var downJson = JsonDocument.Parse(down.Output);
        // SIGTERM was enough: the nodes left the cluster and exited on their own.
        Assert.Equal(new[] { "stopped", "stopped" }, downJson.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("outcome").GetString()));
        Assert.False(File.Exists(Path.Combine(ClusterDir, "cluster.json")), "cluster.json is removed");
        Assert.Contains("stopped", File.ReadAllText(Path.Combine(ClusterDir, "node-1.log")));

        var twice = CliRunner.RunProcess("cluster", "down", "--dir", ClusterDir);
        Assert.Equal(Cli.BadInput, twice.ExitCode);
        Assert.Contains($"no cluster is recorded in {ClusterDir}", twice.Error);
    }

    [Fact]
    public void Up_with_a_port_taken_names_the_port_and_starts_nothing()
    {
        int basePort = FreePorts(3);
        using var holder = new TcpListener(IPAddress.Loopback, basePort + 1);
        holder.Start();
        var up = CliRunner.RunProcess("cluster", "up", "2", "--dir", ClusterDir, "--base-port", basePort.ToString());
        Assert.Equal(Cli.Unavailable, up.ExitCode);
        Assert.Contains($"port {basePort + 1} (node-2) on 127.0.0.1 is in use", up.Error);
        Assert.False(File.Exists(Path.Combine(ClusterDir, "cluster.json")), "no cluster is recorded");
        // No node ran: none wrote a log.
        Assert.Empty(Directory.Exists(ClusterDir) ? Directory.GetFiles(ClusterDir, "*.log") : []);
    }

    [Fact]
    public void Up_that_times_out_stops_the_nodes_it_started_and_records_nothing()
    {
        // node-1 cannot be Up within 1 s: as the first seed it waits 1 s (seed-node-timeout) for the others before it forms the cluster.
        var up = CliRunner.RunProcess("cluster", "up", "2", "--dir", ClusterDir, "--base-port", FreePorts(3).ToString(), "--join-timeout", "1");
        Assert.Equal(Cli.Unavailable, up.ExitCode);
        Assert.Contains("only 0 of 2 nodes joined within 1 s", up.Error);
        var started = System.Text.RegularExpressions.Regex.Matches(up.Error, @"node-\d \(pid (\d+)\)").Select(m => int.Parse(m.Groups[1].Value)).Distinct().ToArray();
        Assert.NotEmpty(started);
        Assert.All(started, pid => Assert.Null(CommandLine(pid)));
        Assert.False(File.Exists(Path.Combine(ClusterDir, "cluster.json")), "no cluster is recorded");
    }

    [Fact]
    public void A_recorded_pid_now_held_by_another_process_is_never_signalled()
    {
        // A process that is not a node, in the place of a recorded node whose pid it got: same pid, another start time.
        using var other = Process.Start("sleep", "60");
        try
        {
            var seen = ProcessIdentity.Read(other.Id);
            Assert.True(seen.Alive, "sleep runs");
            Directory.CreateDirectory(ClusterDir);
            var node = new ClusterNodeRecord("node-1", other.Id, seen.StartTicks - 1000, DateTimeOffset.UtcNow.AddHours(-1), 4053,
                "akka.tcp://hybridspike@127.0.0.1:4053", Path.Combine(ClusterDir, "node-1.hocon"), Path.Combine(ClusterDir, "node-1.log"), ["hybridspike", "node"]);
            var record = new ClusterRecord(1, "up", ClusterDir, "127.0.0.1", ["akka.tcp://hybridspike@127.0.0.1:4053"],
                new ClusterCoordinatorRecord(Path.Combine(ClusterDir, "coordinator.hocon"), 4054, "akka.tcp://hybridspike@127.0.0.1:4054"), [node], DateTimeOffset.UtcNow.AddHours(-1));
            File.WriteAllText(Path.Combine(ClusterDir, "cluster.json"), JsonSerializer.Serialize(record, Cli.Json));

            var status = CliRunner.RunProcess("cluster", "status", "--dir", ClusterDir, "--json");
            Assert.Equal(Cli.Unavailable, status.ExitCode);
            using (var json = JsonDocument.Parse(status.Output))
                Assert.Equal("pid-reused", json.RootElement.GetProperty("nodes")[0].GetProperty("state").GetString());

            var down = CliRunner.RunProcess("cluster", "down", "--dir", ClusterDir, "--timeout", "1", "--json");
            Assert.True(down.ExitCode == 0, down.Error);
            using (var json = JsonDocument.Parse(down.Output))
                Assert.Equal("pid-reused", json.RootElement.GetProperty("nodes")[0].GetProperty("outcome").GetString());
            Assert.False(other.WaitForExit(500), "the other process was signalled");
        }
        finally
        {
            if (!other.HasExited) other.Kill();
        }
    }

    [Fact]
    public void The_multi_machine_template_loads_with_its_seeds_and_production_stable_after()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "HybridSpike.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var c = Actors.Cluster.ClusterNodeConfig.Load(Path.Combine(root.FullName, "cluster-config", "multi-machine.hocon"));
        Assert.Equal(new[] { "192.0.2.11", "192.0.2.12", "192.0.2.13" }, c.SeedNodes.Select(s => s.Host));
        Assert.Equal(TimeSpan.FromSeconds(20), c.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
    }
}
