using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Tests.Runtime;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>
/// Who may join a cluster: nodes with TLS (a certificate this test makes) form one and run a mesh over it; a node
/// without TLS, one with another certificate, and one of another cluster name never join it.
/// </summary>
public sealed class ClusterSecurityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-tls-").FullName;
    private readonly List<ActorSystem> _systems = [];

    public void Dispose()
    {
        Task.WhenAll(_systems.Select(s => s.Terminate())).Wait(TimeSpan.FromSeconds(20));
        Directory.Delete(_dir, recursive: true);
    }

    internal static string MakeCertificate(string dir, string name, string password) => HybridSpike.Tests.Shared.TestCertificates.Make(dir, name, password);

    private static int FreePort() => ClusterNodeConfigTests.FreePort();

    /// <summary>A node's file: its port, its one seed, and <paramref name="extra"/> (TLS, a name).</summary>
    private static ClusterNodeConfig Node(int port, string seed, string extra = "") => ClusterNodeConfig.Parse($"""
        akka.remote.dot-netty.tcp.port = {port}
        akka.cluster.seed-nodes = ["{seed}"]
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 10s
        akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = off
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        {extra}
        """, $"node-{port}.hocon");

    private static string Tls(string certificate, string password, string more = "") =>
        $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = \"{password}\" {more} }}";

    private ActorSystem Start(ClusterNodeConfig node)
    {
        var system = node.StartSystem();
        _systems.Add(system);
        ClusterMesh.StartNode(system);
        return system;
    }

    /// <summary>How long a node that would be let in takes to join on loopback is well under a second; this is far past it.</summary>
    private static readonly TimeSpan JoinWindow = TimeSpan.FromSeconds(5);

    private static int Members(ActorSystem system) => Akka.Cluster.Cluster.Get(system).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up);

    [Fact]
    public async Task Nodes_with_the_cluster_certificate_form_a_TLS_cluster_and_a_mesh_over_it_gives_the_local_spikes()
    {
        var certificate = MakeCertificate(_dir, "cluster", "s3cret");
        int a = FreePort(), b = FreePort();
        var seed = $"akka.ssl.tcp://hybridspike@127.0.0.1:{a}";
        var first = Start(Node(a, seed, Tls(certificate, "s3cret")));
        var second = Start(Node(b, seed, Tls(certificate, "s3cret")));

        var nodes = await ClusterMesh.WaitForNodesAsync(first, 2, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(2, nodes.Length);
        Assert.All(nodes, n => Assert.Equal("akka.ssl.tcp", n.Protocol));

        var net = MeshRuntimeTests.RandomNetwork(7);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var g = new SplitMix64(77);
        int streams = 2, steps = 20;
        var inputs = Enumerable.Range(0, streams * steps * net.Input.Dimensions).Select(_ => g.NextDouble()).ToImmutableArray();
        var local = await MeshRuntime.RunAsync(first, mesh, inputs, streams, steps, null, CancellationToken.None);
        var spread = await MeshRuntime.RunAsync(first, mesh, inputs, streams, steps, null, MeshRunOptions.OnNodes(nodes, NodeAssignment.RoundRobin), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(local.Outputs.ToArray(), spread.Outputs.ToArray());
        Assert.Equal(2, (await ClusterMesh.WaitForNodesAsync(second, 2, TimeSpan.FromSeconds(30), CancellationToken.None)).Length);
    }

    [Fact]
    public async Task A_node_without_TLS_cannot_join_a_TLS_cluster()
    {
        var certificate = MakeCertificate(_dir, "cluster", "pw");
        int a = FreePort(), b = FreePort();
        var secure = Start(Node(a, $"akka.ssl.tcp://hybridspike@127.0.0.1:{a}", Tls(certificate, "pw")));
        await ClusterMesh.WaitForNodesAsync(secure, 1, TimeSpan.FromSeconds(30), CancellationToken.None);
        var plain = Start(Node(b, $"akka.tcp://hybridspike@127.0.0.1:{a}"));

        await Task.Delay(JoinWindow);
        Assert.Equal(1, Members(secure));
        Assert.Equal(0, Members(plain));
    }

    [Fact]
    public async Task A_node_with_another_certificate_cannot_join_and_one_whose_certificate_is_accepted_can()
    {
        var ours = MakeCertificate(_dir, "cluster", "pw");
        var theirs = MakeCertificate(_dir, "intruder", "pw");
        int a = FreePort(), b = FreePort(), c = FreePort();
        var seed = $"akka.ssl.tcp://hybridspike@127.0.0.1:{a}";
        var cluster = Start(Node(a, seed, Tls(ours, "pw")));
        await ClusterMesh.WaitForNodesAsync(cluster, 1, TimeSpan.FromSeconds(30), CancellationToken.None);
        var intruder = Start(Node(b, seed, Tls(theirs, "pw")));

        await Task.Delay(JoinWindow);
        Assert.Equal(1, Members(cluster));
        Assert.Equal(0, Members(intruder));

        // The same kind of certificate is let in once the cluster's nodes accept its thumbprint (a certificate being
        // rolled out) and it accepts theirs: what kept the intruder out was its certificate, nothing else.
        var thumbprint = X509CertificateLoader.LoadPkcs12FromFile(theirs, "pw").Thumbprint;
        var ourThumbprint = X509CertificateLoader.LoadPkcs12FromFile(ours, "pw").Thumbprint;
        Assert.NotEqual(ourThumbprint, thumbprint);
        await _systems[1].Terminate();
        await cluster.Terminate();
        int d = FreePort();
        var seed2 = $"akka.ssl.tcp://hybridspike@127.0.0.1:{d}";
        var rolled = Start(Node(d, seed2, Tls(ours, "pw", $", accept-thumbprints = [\"{thumbprint}\"]")));
        var newcomer = Start(Node(c, seed2, Tls(theirs, "pw", $", accept-thumbprints = [\"{ourThumbprint}\"]")));
        var nodes = await ClusterMesh.WaitForNodesAsync(rolled, 2, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(2, nodes.Length);
        Assert.Equal(2, (await ClusterMesh.WaitForNodesAsync(newcomer, 2, TimeSpan.FromSeconds(30), CancellationToken.None)).Length);
    }

    [Fact]
    public async Task A_node_of_another_cluster_name_cannot_join()
    {
        int a = FreePort(), b = FreePort();
        var ours = Start(Node(a, $"akka.tcp://hybridspike@127.0.0.1:{a}"));
        await ClusterMesh.WaitForNodesAsync(ours, 1, TimeSpan.FromSeconds(30), CancellationToken.None);
        // Its seed is our node's host and port, under its own cluster's name: the message reaches our node and is not for it.
        var other = Start(Node(b, $"akka.tcp://lab-b@127.0.0.1:{a}", "hybridspike.cluster.name = lab-b"));
        Assert.Equal("lab-b", other.Name);

        await Task.Delay(JoinWindow);
        Assert.Equal(1, Members(ours));
        Assert.Equal(0, Members(other));
    }
}

/// <summary>The TLS and cluster-name settings are checked with the node's file, each error naming its key.</summary>
public sealed class ClusterSecuritySettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Seed = "akka.cluster.seed-nodes = [\"akka.ssl.tcp://hybridspike@127.0.0.1:4053\"]\n";

    private InvalidDataException Refused(string hocon) => Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse(hocon, "n.hocon"));

    [Fact]
    public void TLS_is_off_by_default_and_nodes_bind_to_loopback()
    {
        // A file that says nothing but its seed: everything else is reference.conf's.
        var c = ClusterNodeConfig.Parse("akka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:4053\"]", "n.hocon");
        Assert.Null(c.Tls);
        Assert.Equal("127.0.0.1", c.Hostname);
        Assert.Equal("akka.tcp", c.Scheme);
        Assert.Equal("hybridspike", c.Name);
    }

    [Fact]
    public void With_TLS_on_the_certificate_is_loaded_and_the_addresses_are_TLS_ones()
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "pw");
        var c = ClusterNodeConfig.Parse(Seed + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = pw }}", "n.hocon");
        Assert.NotNull(c.Tls);
        Assert.True(c.Tls.Certificate.HasPrivateKey);
        Assert.Equal(TlsTrust.Pinned, c.Tls.Trust);
        Assert.Equal("akka.ssl.tcp", c.Scheme);
        Assert.Equal("akka.ssl.tcp", c.WithPort(4060).Self.Protocol);
        Assert.IsType<Akka.Remote.Transport.DotNetty.DotNettySslSetup>(Assert.Single(c.Setups));
    }

    [Fact]
    public void The_shipped_TLS_template_reads_as_a_TLS_node_once_its_certificate_is_there()
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "pw");
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster-config", "tls.hocon"));
        Assert.Contains("certificate = \"cluster.pfx\"", template);
        Assert.Contains("password-env = HYBRIDSPIKE_TLS_PASSWORD", template);
        var c = ClusterNodeConfig.Parse(template.Replace("certificate = \"cluster.pfx\"", $"certificate = \"{certificate}\"")
            .Replace("password-env = HYBRIDSPIKE_TLS_PASSWORD", "password = pw"), "tls.hocon");
        Assert.NotNull(c.Tls);
        Assert.All(c.SeedNodes, s => Assert.Equal("akka.ssl.tcp", s.Protocol));
    }

    [Fact]
    public void The_password_can_come_from_an_environment_variable()
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "from-env");
        var variable = "HS_TEST_TLS_PASSWORD_" + Guid.NewGuid().ToString("N");
        var hocon = Seed + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password-env = {variable} }}";
        var unset = Refused(hocon);
        Assert.Equal($"n.hocon: hybridspike.cluster.tls.password-env: the environment variable '{variable}' is not set", unset.Message);
        Environment.SetEnvironmentVariable(variable, "from-env");
        try
        {
            Assert.NotNull(ClusterNodeConfig.Parse(hocon, "n.hocon").Tls);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void TLS_without_a_certificate_is_refused_naming_the_key()
    {
        var e = Refused(Seed + "hybridspike.cluster.tls.enabled = on");
        Assert.StartsWith("n.hocon: hybridspike.cluster.tls.certificate is empty", e.Message);
    }

    [Fact]
    public void A_certificate_file_that_is_not_there_is_named()
    {
        var e = Refused(Seed + "hybridspike.cluster.tls { enabled = on, certificate = \"/nonexistent/c.pfx\" }");
        Assert.Equal("n.hocon: hybridspike.cluster.tls.certificate: '/nonexistent/c.pfx' does not exist", e.Message);
    }

    [Fact]
    public void A_wrong_password_is_refused_naming_the_certificate()
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "right");
        var e = Refused(Seed + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = wrong }}");
        Assert.StartsWith($"n.hocon: hybridspike.cluster.tls.certificate: '{certificate}' cannot be read as a PKCS#12 certificate with this password", e.Message);
    }

    [Fact]
    public void A_certificate_without_its_private_key_is_refused()
    {
        var pfx = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "pw");
        using var full = X509CertificateLoader.LoadPkcs12FromFile(pfx, "pw");
        // The public part alone, packed as PKCS#12: what a copy of another node's certificate would be.
        var collection = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(full.RawData));
        var publicOnly = Path.Combine(_dir, "public.pfx");
        File.WriteAllBytes(publicOnly, collection.Export(X509ContentType.Pkcs12, "pw")!);
        var e = Refused(Seed + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{publicOnly}\", password = pw }}");
        Assert.Equal($"n.hocon: hybridspike.cluster.tls.certificate: '{publicOnly}' holds no private key; a node presents its certificate and must prove it owns it", e.Message);
    }

    [Theory]
    [InlineData("trust = maybe", "hybridspike.cluster.tls.trust is 'maybe'")]
    [InlineData("accept-thumbprints = [\"12ab\"]", "hybridspike.cluster.tls.accept-thumbprints: '12ab' is not a SHA-1 thumbprint")]
    public void A_bad_trust_setting_is_named(string setting, string expected)
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "pw");
        var e = Refused(Seed + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = pw, {setting} }}");
        Assert.StartsWith("n.hocon: " + expected, e.Message);
    }

    [Fact]
    public void A_plain_seed_on_a_TLS_node_is_refused_with_the_address_to_write()
    {
        var certificate = ClusterSecurityTests.MakeCertificate(_dir, "cluster", "pw");
        var e = Refused("akka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:4053\"]\n"
            + $"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = pw }}");
        Assert.Equal("n.hocon: akka.cluster.seed-nodes: 'akka.tcp://hybridspike@127.0.0.1:4053' is a plain TCP address but this node speaks TLS; write it akka.ssl.tcp://hybridspike@127.0.0.1:4053", e.Message);
    }

    [Fact]
    public void A_TLS_seed_on_a_node_without_TLS_is_refused()
    {
        var e = Refused(Seed);
        Assert.StartsWith("n.hocon: akka.cluster.seed-nodes: 'akka.ssl.tcp://hybridspike@127.0.0.1:4053' is a TLS address but TLS is off on this node", e.Message);
    }

    [Fact]
    public void A_seed_of_another_cluster_name_is_refused()
    {
        var e = Refused("hybridspike.cluster.name = lab-a\nakka.cluster.seed-nodes = [\"akka.tcp://lab-b@127.0.0.1:4053\"]");
        Assert.Equal("n.hocon: akka.cluster.seed-nodes: 'akka.tcp://lab-b@127.0.0.1:4053' names cluster 'lab-b', this node's is 'lab-a' (hybridspike.cluster.name)", e.Message);
    }

    [Fact]
    public void A_cluster_name_Akka_would_refuse_is_named()
    {
        var e = Refused("hybridspike.cluster.name = \"lab a\"\nakka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:4053\"]");
        Assert.StartsWith("n.hocon: hybridspike.cluster.name is 'lab a'", e.Message);
    }
}
