using Akka.Actor;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Actors.Tests.Contract;
using HybridSpike.Actors.Tests.Runtime;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>Recovery from lost nodes beyond the contract's one loss: two losses, a node that joins, and a loss nothing can take.</summary>
public class NodeRecoveryTests
{
    private static CompiledMesh Mesh(ulong seed) =>
        Compiler.Compile(MeshRuntimeTests.RandomNetwork(seed), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());

    private static void SameOutputs(RecoveryContract.Outcome run)
    {
        for (int s = 0; s < run.Outputs.Length; s++)
            ResidentMeshContract.SameOutputs(run.Expected[s], [.. run.Outputs[s].Select(o => (o.Step, (IReadOnlyList<double>)o.Activity))], $"stream {s}");
    }

    [Fact]
    public async Task A_second_node_lost_while_the_first_is_recovered_is_recovered_too_with_exact_outputs()
    {
        await using var cluster = await TestCluster.StartAsync(4);
        var mesh = Mesh(17);
        Assert.True(mesh.Cores.Length >= 4, "every node should run a core");
        var (first, second) = (cluster.Systems[1], cluster.Systems[2]);
        long firstKill = -1;
        var secondKilled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The second goes as soon as outputs flow again after the first loss: while the journal is replayed. Stream 0's
        // input past step 43 waits for it, so that the run cannot end before the second loss matters.
        var run = await RecoveryContract.Run(cluster.Systems[0], mesh, MeshRunOptions.OnNodes(cluster.Addresses, NodeAssignment.RoundRobin), 17, 2, 160, (stream, step) =>
        {
            if (stream != 0) return;
            if (step == 40) { firstKill = step; _ = first.Terminate(); }
            else if (firstKill >= 0 && step == firstKill + 1) _ = second.Terminate().ContinueWith(_ => secondKilled.TrySetResult());
        }, beforePush: async (stream, step) => { if (stream == 0 && step >= 44) await secondKilled.Task; });
        SameOutputs(run);
        var lost = run.Recoveries.SelectMany(r => r.Lost).Select(l => l.Node).ToHashSet();
        Assert.Contains(ClusterMesh.SelfAddress(first), lost);
        Assert.Contains(ClusterMesh.SelfAddress(second), lost);
    }

    [Fact]
    public async Task A_node_killed_while_a_recovery_point_is_taken_is_recovered_from_the_one_before()
    {
        // A recovery point after every mesh step: the mesh is nearly always held at one, so the node goes in the middle of it.
        await using var cluster = await TestCluster.StartAsync(3);
        var mesh = Mesh(9);
        var victim = cluster.Systems[1];
        var options = MeshRunOptions.OnNodes(cluster.Addresses, NodeAssignment.RoundRobin).WithSnapshotInterval(1);
        var run = await RecoveryContract.Run(cluster.Systems[0], mesh, options, 9, 2, 120, (_, _) => { },
            beforePush: async (stream, step) => { if (stream == 0 && step == 60) await victim.Terminate(); });
        SameOutputs(run);
        Assert.Single(run.Recoveries);
    }

    [Fact]
    public async Task A_node_that_joins_during_the_run_takes_the_lost_nodes_cores()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var mesh = Mesh(5);
        var victim = cluster.Systems[2];
        ActorSystem? joined = null;
        try
        {
            var options = MeshRunOptions.OnNodes(cluster.Addresses, NodeAssignment.RoundRobin);
            var run = await RecoveryContract.Run(cluster.Systems[0], mesh, options, 5, 2, 160, (_, _) => { }, beforePush: async (stream, step) =>
            {
                if (stream != 0) return;
                if (step == 20)
                {
                    // A fourth node joins; it does not disturb the run.
                    joined = ActorSystem.Create(ClusterNodeConfig.SystemName, TestCluster.Config());
                    Akka.Cluster.Cluster.Get(joined).Join(ClusterMesh.SelfAddress(cluster.Systems[0]));
                    ClusterMesh.StartNode(joined);
                }
                if (step == 80)
                {
                    // Once the coordinator sees it Up, the victim goes, with the rest of the input still to come.
                    await ClusterMesh.WaitForNodesAsync(cluster.Systems[0], 4, TimeSpan.FromSeconds(20), CancellationToken.None);
                    await victim.Terminate();
                }
            });
            SameOutputs(run);
            var recovery = Assert.Single(run.Recoveries);
            var newcomer = ClusterMesh.SelfAddress(joined!);
            Assert.All(recovery.MovedCores, k => Assert.Equal(newcomer, recovery.Nodes[k]));
        }
        finally
        {
            if (joined is not null) await joined.Terminate();
        }
    }

    [Fact]
    public async Task A_lost_node_whose_cores_fit_nowhere_ends_every_stream_with_an_error_naming_it()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        // A network of 3n cores, n per node and no more: the lost node's n cores fit nowhere.
        ulong seed = Enumerable.Range(1, 200).Select(i => (ulong)i).First(i => Mesh(i).Cores.Length is var n && n >= 3 && n % 3 == 0);
        var mesh = Mesh(seed);
        var victim = cluster.Systems[1];
        var options = MeshRunOptions.OnNodes(cluster.Addresses, NodeAssignment.Blocks).WithMaxCoresPerNode(mesh.Cores.Length / 3);
        var e = await Assert.ThrowsAsync<StreamFailedException>(() => RecoveryContract.Run(cluster.Systems[0], mesh, options, seed, 2, 160, (_, _) => { },
            beforePush: async (stream, step) => { if (stream == 0 && step == 40) await victim.Terminate(); }));
        var cause = Assert.IsType<MeshClusterException>(e.InnerException);
        Assert.Contains("recovery impossible", cause.Message);
        Assert.Contains(ClusterMesh.SelfAddress(victim).ToString(), cause.Message);
    }
}
