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
    [InlineData("akka.remote.dot-netty.tcp.transport-protocol = udp\nakka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:1\"]", "akka.remote.dot-netty.tcp.transport-protocol")]
    [InlineData("akka.remote.dot-netty.tcp.dns-use-ipv6 = maybe\nakka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:1\"]", "akka.remote.dot-netty.tcp.dns-use-ipv6")]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 1000b\nakka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:1\"]", "akka.remote.dot-netty.tcp.maximum-frame-size")]
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

    private const string Seed = "akka.cluster.seed-nodes = [\"akka.tcp://hybridspike@127.0.0.1:4053\"]\n";

    [Fact]
    public void An_unclosed_brace_is_refused_with_its_line_not_taken_for_a_missing_seed_list()
    {
        // Akka's parser accepts it and puts the seed list inside the unclosed object: "seed-nodes is empty" before.
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("# a node\nakka.remote.dot-netty.tcp { port = 4053\n" + Seed, "n.hocon"));
        Assert.Equal("n.hocon: not valid HOCON: line 2: the '{' opened here is never closed", e.Message);
    }

    [Fact]
    public void An_extra_closing_brace_is_refused_with_its_line_not_left_to_drop_the_keys_after_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka.remote.dot-netty.tcp { port = 4053 }}\n" + Seed, "n.hocon"));
        Assert.Equal("n.hocon: not valid HOCON: line 1: '}' closes nothing", e.Message);
    }

    [Fact]
    public void Braces_and_quotes_in_comments_and_strings_are_not_counted()
    {
        var c = ClusterNodeConfig.Parse("# a { in a comment\n// and \" here\nakka.cluster.roles = [mesh, \"x}]\"]\n" + Seed, "n.hocon");
        Assert.Equal(["mesh", "x}]"], c.Roles.ToArray());
    }

    [Fact]
    public void A_frame_size_that_is_not_a_size_is_refused_naming_the_setting_and_its_value()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka.remote.dot-netty.tcp.maximum-frame-size = lots\n" + Seed, "n.hocon"));
        Assert.StartsWith("n.hocon: akka.remote.dot-netty.tcp.maximum-frame-size is 'lots', not a size", e.Message);
    }

    [Fact]
    public void A_duration_that_is_not_one_is_refused_naming_the_setting_and_its_value()
    {
        // Akka read it only as the node started and said "The input string 'soon' was not in a correct format".
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka.cluster.failure-detector.heartbeat-interval = soon\n" + Seed, "n.hocon"));
        Assert.Equal("n.hocon: akka.cluster.failure-detector.heartbeat-interval is 'soon', not a duration (like 5s or 200ms)", e.Message);
    }

    [Fact]
    public void Settings_Akka_takes_in_more_than_one_form_are_accepted_in_each()
    {
        var c = ClusterNodeConfig.Parse("""
            akka.log-dead-letters = off
            akka.cluster.failure-detector.threshold = 8.5
            akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = 20s
            akka.remote.dot-netty.tcp.tcp-reuse-addr = off-for-windows
            akka.cluster.split-brain-resolver.stable-after = 7 s
            akka.remote.dot-netty.tcp.send-buffer-size = 1048576
            """ + "\n" + Seed, "n.hocon");
        Assert.Equal(1048576L, c.Config.GetByteSize("akka.remote.dot-netty.tcp.send-buffer-size"));
    }

    [Fact]
    public void A_split_brain_strategy_Akka_does_not_know_is_refused_naming_the_ones_it_does()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka.cluster.split-brain-resolver.active-strategy = coin-flip\n" + Seed, "n.hocon"));
        Assert.Equal("n.hocon: akka.cluster.split-brain-resolver.active-strategy is 'coin-flip'; Akka's split-brain resolver knows down-all, keep-majority, keep-oldest, lease-majority, static-quorum", e.Message);
    }

    [Fact]
    public void A_known_strategy_with_a_bad_setting_of_its_own_is_refused_before_the_node_starts()
    {
        // Akka reads each strategy's settings only when the cluster first needs them: the node crashed after it started.
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse(
            "akka.cluster.split-brain-resolver { active-strategy = static-quorum, static-quorum.quorum-size = 0 }\n" + Seed, "n.hocon"));
        Assert.Contains("quorum-size", e.Message);
    }

    [Fact]
    public void A_node_without_the_mesh_role_is_refused_naming_its_roles()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClusterNodeConfig.Parse("akka.cluster.roles = [worker]\n" + Seed, "n.hocon"));
        Assert.Equal("n.hocon: akka.cluster.roles is [worker]; a node that hosts mesh cores needs the role 'mesh' (e.g. roles = [mesh, worker])", e.Message);
    }

    [Fact]
    public void A_hostname_that_does_not_resolve_is_refused_naming_it()
    {
        // .invalid never resolves (RFC 2606).
        var c = ClusterNodeConfig.Parse("akka.remote.dot-netty.tcp.hostname = no-such-node.invalid\n" + Seed, "n.hocon");
        var e = Assert.Throws<InvalidDataException>(c.CheckCanListen);
        Assert.StartsWith("n.hocon: akka.remote.dot-netty.tcp.hostname 'no-such-node.invalid' does not resolve", e.Message);
    }

    [Fact]
    public void A_seed_whose_host_does_not_resolve_is_refused_naming_it()
    {
        var c = ClusterNodeConfig.Parse("akka.cluster.seed-nodes = [\"akka.tcp://hybridspike@no-such-seed.invalid:4053\"]", "n.hocon");
        var e = Assert.Throws<InvalidDataException>(c.CheckCanListen);
        Assert.StartsWith("n.hocon: akka.cluster.seed-nodes: the host of 'akka.tcp://hybridspike@no-such-seed.invalid:4053' does not resolve", e.Message);
    }

    [Fact]
    public void A_hostname_that_is_not_this_machines_is_refused_naming_it()
    {
        // 192.0.2.0/24 is reserved for documentation: no machine has it.
        var c = ClusterNodeConfig.Parse("akka.remote.dot-netty.tcp.hostname = 192.0.2.7\n" + Seed, "n.hocon");
        var e = Assert.Throws<InvalidDataException>(c.CheckCanListen);
        Assert.StartsWith("n.hocon: akka.remote.dot-netty.tcp.hostname '192.0.2.7' is not an address of this machine", e.Message);
    }

    [Fact]
    public void A_port_another_program_listens_on_is_refused_as_in_use()
    {
        var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        try
        {
            int port = ((IPEndPoint)holder.LocalEndpoint).Port;
            var c = ClusterNodeConfig.Load(Shipped("local.hocon")).WithPort(port);
            var e = Assert.Throws<HybridSpike.Actors.Runtime.Deployment.MeshClusterException>(c.CheckCanListen);
            Assert.StartsWith($"port {port} on 127.0.0.1 is in use", e.Message);
        }
        finally
        {
            holder.Stop();
        }
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

    internal static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
