using System.Net;
using System.Net.Sockets;
using HybridSpike.Actors.Cluster;

namespace HybridSpike.Actors.Tests.Cluster;

public class ClusterNodeConfigTests
{
    private static string Shipped(string name) => Path.Combine(AppContext.BaseDirectory, "cluster-config", name);

    [Theory]
    [InlineData("local.hocon", 4053, new[] { 4053 })]
    [InlineData("two-node-a.hocon", 4053, new[] { 4053, 4054 })]
    [InlineData("two-node-b.hocon", 4054, new[] { 4053, 4054 })]
    public void Every_shipped_file_loads_over_the_defaults(string file, int port, int[] seedPorts)
    {
        var c = ClusterNodeConfig.Load(Shipped(file));
        Assert.Equal(port, c.Port);
        Assert.Equal("127.0.0.1", c.Hostname);
        Assert.Equal(seedPorts.Select(p => $"akka.tcp://hybridspike@127.0.0.1:{p}"), c.SeedNodes.Select(s => s.ToString()));
        Assert.Contains("mesh", c.Roles);
        // The feature serializers and the large frames come with every node.
        Assert.Contains("RuntimeSerializer", c.Config.GetString("akka.actor.serializers.hybridspike-runtime"));
        Assert.Contains("DeploymentSerializer", c.Config.GetString("akka.actor.serializers.hybridspike-deployment"));
        Assert.Equal(16L * 1024 * 1024, c.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
    }

    [Theory]
    [InlineData("akka.remote.dot-netty.tcp.port = 70000", "akka.remote.dot-netty.tcp.port")]
    [InlineData("akka.remote.dot-netty.tcp.port = many", "akka.remote.dot-netty.tcp.port")]
    [InlineData("akka.cluster.seed-nodes = []", "akka.cluster.seed-nodes")]
    [InlineData("akka.cluster.seed-nodes = [\"akka.tcp://other@127.0.0.1:1\"]", "akka.cluster.seed-nodes")]
    [InlineData("akka.cluster.seed-nodes = [\"not an address\"]", "akka.cluster.seed-nodes")]
    [InlineData("akka.actor.provider = local\nakka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:1\"]", "akka.actor.provider")]
    public void A_bad_value_is_refused_naming_the_file_and_key(string hocon, string key)
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse(hocon, "my.hocon"));
        Assert.StartsWith("my.hocon: ", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Another_port_moves_a_node_that_is_its_own_only_seed_and_keeps_a_shared_seed_list()
    {
        var alone = ClusterNodeConfig.Load(Shipped("local.hocon")).WithPort(4060);
        Assert.Equal("akka.tcp://hybridspike@127.0.0.1:4060", Assert.Single(alone.SeedNodes).ToString());
        var third = ClusterNodeConfig.Load(Shipped("two-node-b.hocon")).WithPort(4055);
        Assert.Equal(4055, third.Port);
        Assert.Equal(4055, third.Config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://hybridspike@127.0.0.1:4053", "akka.tcp://hybridspike@127.0.0.1:4054"], third.SeedNodes.Select(s => s.ToString()));
    }

    [Fact]
    public void Text_that_is_not_HOCON_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka { cluster {", "broken.hocon"));
        Assert.Contains("broken.hocon", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClusterNodeConfig.Load("/nonexistent/x.hocon"));
        Assert.Contains("/nonexistent/x.hocon", e.Message);
    }

    [Fact]
    public async Task A_node_started_from_local_hocon_forms_a_cluster_of_one()
    {
        var config = ClusterNodeConfig.Load(Shipped("local.hocon")).WithPort(FreePort());
        using var system = config.StartSystem();
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(config.Port, cluster.SelfAddress.Port);
        Assert.Contains("mesh", cluster.SelfRoles);
        await cluster.LeaveAsync();
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
