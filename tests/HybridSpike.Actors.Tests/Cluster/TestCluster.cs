using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Cluster;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>
/// Mesh nodes in this test process: actor systems on loopback with port 0 (the OS picks a free one), the first
/// joining itself and the others joining it, each running the mesh-node actor. A short failure detector makes a
/// dead node unreachable within about a second; nodes stop at once on Terminate (no graceful leave).
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string Hocon = """
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.seed-nodes = []
        akka.cluster.failure-detector { heartbeat-interval = 200ms, acceptable-heartbeat-pause = 1s }
        akka.cluster.shutdown-after-unsuccessful-join-seed-nodes = off
        # Tests stop their nodes all at once: no graceful leave that would wait for the others.
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.remote.flush-wait-on-shutdown = 200ms
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.loglevel = ERROR
        """;

    /// <summary>The test nodes' configuration: <paramref name="extra"/> over <see cref="Hocon"/> over reference.conf.</summary>
    public static Config Config(string extra = "") =>
        ConfigurationFactory.ParseString(extra).WithFallback(ConfigurationFactory.ParseString(Hocon)).WithFallback(ClusterNodeConfig.ReferenceConfig);

    /// <summary>
    /// For tests in which no node dies: a failure detector that tolerates the pauses of a loaded CI machine (the suite
    /// trains libtorch models beside the cluster tests), so that a node is never taken for dead when it is only slow.
    /// </summary>
    public const string Lenient = "akka.cluster.failure-detector.acceptable-heartbeat-pause = 10s";

    public ImmutableArray<ActorSystem> Systems { get; }

    public ImmutableArray<Address> Addresses => [.. Systems.Select(ClusterMesh.SelfAddress)];

    private TestCluster(ImmutableArray<ActorSystem> systems) => Systems = systems;

    /// <summary>Starts <paramref name="count"/> nodes (the first one may be given, e.g. a TestKit's system) and waits until all are Up.</summary>
    public static Task<TestCluster> StartAsync(int count, ActorSystem? first = null, string extra = "") => StartAsync(count, first, extra, null);

    /// <summary>As <see cref="StartAsync(int, ActorSystem?, string)"/>, the nodes talking TLS (<paramref name="tls"/>) when it is given.</summary>
    public static async Task<TestCluster> StartAsync(int count, ActorSystem? first, string extra, ClusterTls? tls)
    {
        ActorSystem Start() => tls is null
            ? ActorSystem.Create(ClusterNodeConfig.SystemName, Config(extra))
            : ActorSystem.Create(ClusterNodeConfig.SystemName, Akka.Actor.Setup.ActorSystemSetup.Create(
                BootstrapSetup.Create().WithConfig(Config("akka.remote.dot-netty.tcp.enable-ssl = on\n" + extra)), tls.Setup()));
        var systems = new List<ActorSystem> { first ?? Start() };
        for (int i = 1; i < count; i++) systems.Add(Start());
        var seed = ClusterMesh.SelfAddress(systems[0]);
        foreach (var s in systems)
        {
            Akka.Cluster.Cluster.Get(s).Join(seed);
            ClusterMesh.StartNode(s);
        }
        var cluster = new TestCluster([.. systems]);
        var nodes = await ClusterMesh.WaitForNodesAsync(systems[0], count, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.Equal(count, nodes.Length);
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Systems.Select(s => s.Terminate())).WaitAsync(TimeSpan.FromSeconds(20));
    }
}
