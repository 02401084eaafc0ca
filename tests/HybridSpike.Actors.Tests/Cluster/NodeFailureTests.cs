using HybridSpike.Actors.Runtime.Deployment;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Cluster;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Tests.Runtime;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>With recovery off, a node that dies in the middle of a run ends the run with an error naming it: no hang.</summary>
public class NodeFailureTests() : TestKit(TestCluster.Config(), ClusterNodeConfig.SystemName)
{
    [Fact]
    public async Task With_recovery_off_a_node_dying_mid_run_ends_the_run_with_an_error_naming_it()
    {
        // The node that dies stops at once (TestCluster.Config: no graceful leave first), as when its process is killed.
        var doomed = ActorSystem.Create(ClusterNodeConfig.SystemName, TestCluster.Config());
        try
        {
            var self = ClusterMesh.SelfAddress(Sys);
            Akka.Cluster.Cluster.Get(Sys).Join(self);
            Akka.Cluster.Cluster.Get(doomed).Join(self);
            ClusterMesh.StartNode(doomed);
            var members = await ClusterMesh.WaitForNodesAsync(Sys, 2, TimeSpan.FromSeconds(20), CancellationToken.None);

            var net = MeshRuntimeTests.RandomNetwork(6);
            var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
            int steps = 30_000; // some seconds on two nodes: the node dies while the cores are busy
            var inputs = Enumerable.Range(0, steps * net.Input.Dimensions).Select(i => (i % 11) / 11.0).ToImmutableArray();
            var run = MeshRuntime.RunAsync(Sys, mesh, inputs, 1, steps, null, MeshRunOptions.OnNodes(members, NodeAssignment.RoundRobin).WithSnapshotInterval(0), CancellationToken.None);

            // Wait until the doomed node hosts its cores, then a little more, and kill it.
            await AwaitAssertAsync(async () =>
            {
                var id = await doomed.ActorSelection("/user/mesh-node/*/core-*").Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(1));
                Assert.NotNull(id.Subject);
            }, TimeSpan.FromSeconds(10));
            await Task.Delay(300);
            Assert.False(run.IsCompleted, "the run should still be going");
            var doomedAddress = ClusterMesh.SelfAddress(doomed);
            await doomed.Terminate();

            var e = await Assert.ThrowsAsync<MeshClusterException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains(doomedAddress.ToString(), e.Message);
            Assert.Contains("recovery is off", e.Message);
        }
        finally
        {
            await doomed.Terminate();
        }
    }
}
