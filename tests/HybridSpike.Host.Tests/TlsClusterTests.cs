using System.Text.Json;

namespace HybridSpike.Host.Tests;

/// <summary>
/// Real node processes over TLS (docs/cluster.md, "Security"): two <c>hybridspike node</c>s and a <c>simulate --cluster</c>
/// coordinator that all hold the cluster's certificate (made here, its password in an environment variable) run a model
/// with the report of the run in one process; a node whose file has no TLS does not join them.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class TlsClusterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-tls-nodes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string PasswordVariable = "HS_TEST_CLUSTER_PASSWORD";

    private string Certificate() => MakeCertificate(_dir, "test-password");

    /// <summary>The cluster's certificate, <c>cluster.pfx</c> in <paramref name="dir"/>.</summary>
    internal static string MakeCertificate(string dir, string password) => HybridSpike.Tests.Shared.TestCertificates.Make(dir, "cluster", password);

    private string Hocon(string name, int port, int seed, string? certificate)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, certificate is null
            ? $"""
              akka.remote.dot-netty.tcp.port = {port}
              akka.cluster.seed-nodes = ["akka.tcp://hybridspike@127.0.0.1:{seed}"]
              """
            : $$"""
              akka.remote.dot-netty.tcp.port = {{port}}
              akka.cluster.seed-nodes = ["akka.ssl.tcp://hybridspike@127.0.0.1:{{seed}}"]
              hybridspike.cluster.tls { enabled = on, certificate = "{{certificate}}", password-env = {{PasswordVariable}} }
              """);
        return path;
    }

    [Fact]
    public async Task Nodes_with_the_cluster_certificate_run_a_model_as_one_process_does_and_a_plain_node_stays_out()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        var certificate = Certificate();
        var env = new Dictionary<string, string> { [PasswordVariable] = "test-password" };
        int seed = RunningProcess.FreePort(), other = RunningProcess.FreePort(), plainPort = RunningProcess.FreePort(), self = RunningProcess.FreePort();
        string[] common = ["simulate", "--model", model, "--profile", "test", "--samples", "20", "--json"];
        var local = CliRunner.Run(common);
        Assert.True(local.ExitCode == 0, local.Error);

        using var a = RunningProcess.Start(env, "node", "--config", Hocon("a.hocon", seed, seed, certificate));
        using var b = RunningProcess.Start(env, "node", "--config", Hocon("b.hocon", other, seed, certificate));
        await a.WaitForLineAsync(l => l.StartsWith($"joined: akka.ssl.tcp://hybridspike@127.0.0.1:{seed}"), TimeSpan.FromSeconds(30));
        await b.WaitForLineAsync(l => l.StartsWith($"joined: akka.ssl.tcp://hybridspike@127.0.0.1:{other}"), TimeSpan.FromSeconds(30));
        // A node without TLS, pointed at the TLS seed's port: its handshake fails, it never joins.
        using var plain = RunningProcess.Start("node", "--config", Hocon("plain.hocon", plainPort, seed, null));

        using var run = RunningProcess.Start(env, [.. common, "--cluster", Hocon("self.hocon", self, seed, certificate), "--nodes", "3",
            "--assign", "round-robin", "--join-timeout", "30"]);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(120)), $"the run did not end; stderr:\n{run.Error}");
        Assert.True(run.Process.ExitCode == 0, run.Error);
        using var expected = JsonDocument.Parse(local.Output);
        using var actual = JsonDocument.Parse(run.Output);
        foreach (var field in new[] { "meshAccuracy", "spikes", "packets", "synapticEvents", "perSample" })
            Assert.Equal(expected.RootElement.GetProperty(field).GetRawText(), actual.RootElement.GetProperty(field).GetRawText());

        Assert.DoesNotContain(plain.ErrorLines, l => l.StartsWith("joined:"));
        Assert.False(plain.Process.HasExited, $"the plain node should still be trying; stderr:\n{plain.Error}");
        foreach (var node in new[] { plain, b, a }) node.Signal("TERM");
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(20)), "the seed node did not stop");
    }
}
