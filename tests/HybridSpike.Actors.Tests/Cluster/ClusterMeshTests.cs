using HybridSpike.Actors.Runtime.Deployment;
using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Cluster;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Tests.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>Three mesh nodes in this process, shared by the tests of <see cref="ClusterMeshTests"/> (a cluster takes a second or two to form).</summary>
public sealed class ThreeNodes : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The same compiled mesh with its cores spread over two or three cluster nodes gives exactly the single-node spikes.</summary>
public class ClusterMeshTests(ThreeNodes nodes) : IClassFixture<ThreeNodes>
{
    private sealed class Recorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Core.Network.Population population, ReadOnlySpan<int> counts) => Seen.Add((step, population.Name, counts.ToArray()));
    }

    [Theory]
    [InlineData(1UL, 2, NodeAssignment.Blocks)]
    [InlineData(2UL, 3, NodeAssignment.RoundRobin)]
    [InlineData(3UL, 3, NodeAssignment.Blocks)]
    [InlineData(4UL, 2, NodeAssignment.Chip)]
    [InlineData(5UL, 2, NodeAssignment.RoundRobin)]
    public async Task A_random_network_spread_over_nodes_gives_the_single_node_and_golden_spikes_exactly(ulong seed, int nodeCount, NodeAssignment assignment)
    {
        var coordinator = nodes.Cluster.Systems[0];
        var net = MeshRuntimeTests.RandomNetwork(seed);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var options = MeshRunOptions.OnNodes(nodes.Cluster.Addresses.Take(nodeCount), assignment);
        var used = ClusterMesh.Assign(mesh, nodeCount, assignment).Distinct().Count();
        Assert.True(used >= 2, $"{mesh.Cores.Length} cores should land on at least two nodes");
        var g = new SplitMix64(seed * 13);
        int streams = 3, steps = 30;
        var inputs = Enumerable.Range(0, streams * steps * net.Input.Dimensions).Select(_ => g.NextDouble()).ToImmutableArray();

        var golden = new Recorder();
        var expected = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs.AsSpan(), streams, steps, golden);
        var local = new Recorder();
        var one = await MeshRuntime.RunWithTelemetryAsync(coordinator, mesh, inputs, streams, steps, local, CancellationToken.None);
        var spread = new Recorder();
        var many = await MeshRuntime.RunWithTelemetryAsync(coordinator, mesh, inputs, streams, steps, spread, options, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(expected.Outputs.ToArray(), many.Result.Outputs.ToArray());
        Assert.Equal(one.Result.Outputs.ToArray(), many.Result.Outputs.ToArray());
        Assert.Equal(one.Result.Predictions.ToArray(), many.Result.Predictions.ToArray());
        Assert.Equal(golden.Seen.Count, spread.Seen.Count);
        Assert.Equal(local.Seen.Count, spread.Seen.Count);
        for (int i = 0; i < golden.Seen.Count; i++)
        {
            Assert.Equal((golden.Seen[i].Step, golden.Seen[i].Population), (spread.Seen[i].Step, spread.Seen[i].Population));
            Assert.Equal(golden.Seen[i].Counts, spread.Seen[i].Counts);
            Assert.Equal(local.Seen[i].Counts, spread.Seen[i].Counts);
        }
        // The telemetry travels too, and it is the same count for count.
        Assert.Equal(one.Telemetry.Cores.Length, many.Telemetry.Cores.Length);
        for (int c = 0; c < one.Telemetry.Cores.Length; c++)
        {
            var (a, b) = (one.Telemetry.Cores[c], many.Telemetry.Cores[c]);
            Assert.Equal((a.Core, a.SynapticEvents, a.NeuronUpdates, a.Spikes, a.PacketsSent), (b.Core, b.SynapticEvents, b.NeuronUpdates, b.Spikes, b.PacketsSent));
            Assert.Equal(a.PacketsSentPerStep.ToArray(), b.PacketsSentPerStep.ToArray());
            Assert.Equal(a.PacketsTo.OrderBy(kv => kv.Key), b.PacketsTo.OrderBy(kv => kv.Key));
        }
        Assert.Equal(one.Telemetry.EnergyJoules, many.Telemetry.EnergyJoules);
    }

    [Fact]
    public async Task A_coordinator_that_hosts_no_core_itself_runs_everything_on_the_other_nodes()
    {
        var net = MeshRuntimeTests.RandomNetwork(8);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var inputs = Enumerable.Range(0, 2 * 15 * net.Input.Dimensions).Select(i => (i % 5) / 5.0).ToImmutableArray();
        var options = MeshRunOptions.OnNodes(nodes.Cluster.Addresses.Skip(1), NodeAssignment.RoundRobin);
        var result = await MeshRuntime.RunAsync(nodes.Cluster.Systems[0], mesh, inputs, 2, 15, null, options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var golden = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs.AsSpan(), 2, 15);
        Assert.Equal(golden.Outputs.ToArray(), result.Outputs.ToArray());
    }

    [Fact]
    public async Task A_node_that_is_not_a_member_fails_the_run_at_once_naming_it()
    {
        var net = MeshRuntimeTests.RandomNetwork(9);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var inputs = Enumerable.Repeat(0.5, 10 * net.Input.Dimensions).ToImmutableArray();
        var absent = nodes.Cluster.Addresses[1].WithPort(1); // nobody listens on port 1
        var options = MeshRunOptions.OnNodes([nodes.Cluster.Addresses[0], absent]);
        var e = await Assert.ThrowsAsync<MeshClusterException>(() =>
            MeshRuntime.RunAsync(nodes.Cluster.Systems[0], mesh, inputs, 1, 10, null, options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(absent.ToString(), e.Message);
        Assert.Contains("not a member", e.Message);
    }

    [Fact]
    public async Task A_member_that_runs_no_mesh_node_actor_fails_the_run_after_the_deploy_timeout_naming_it()
    {
        // A fourth member that joins but hosts nothing (no mesh-node actor): nobody answers HostCore.
        var mute = ActorSystem.Create(ClusterNodeConfig.SystemName, TestCluster.Config());
        try
        {
            Akka.Cluster.Cluster.Get(mute).Join(nodes.Cluster.Addresses[0]);
            await ClusterMesh.WaitForNodesAsync(nodes.Cluster.Systems[0], 4, TimeSpan.FromSeconds(20), CancellationToken.None);
            var net = MeshRuntimeTests.RandomNetwork(9);
            var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
            var inputs = Enumerable.Repeat(0.5, 10 * net.Input.Dimensions).ToImmutableArray();
            var silent = ClusterMesh.SelfAddress(mute);
            var options = MeshRunOptions.OnNodes([nodes.Cluster.Addresses[0], silent]) with { DeployTimeout = TimeSpan.FromSeconds(1) };
            var e = await Assert.ThrowsAsync<MeshClusterException>(() =>
                MeshRuntime.RunAsync(nodes.Cluster.Systems[0], mesh, inputs, 1, 10, null, options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains(silent.ToString(), e.Message);
            Assert.Contains("did not host", e.Message);
        }
        finally
        {
            await Akka.Cluster.Cluster.Get(mute).LeaveAsync().WaitAsync(TimeSpan.FromSeconds(10)); // the shared cluster goes on with three
            await mute.Terminate();
        }
    }

    [Fact]
    public async Task A_core_that_fails_on_another_node_ends_the_run_with_its_error_and_the_node_name()
    {
        var mesh = Compiler.Compile(Runtime.MeshRuntimeTests.OverflowingCore(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var options = MeshRunOptions.OnNodes([nodes.Cluster.Addresses[1]]); // every core on the second node
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            MeshRuntime.RunAsync(nodes.Cluster.Systems[0], mesh, [.. Enumerable.Repeat(1.0, 5)], 1, 5, null, options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains($"a core failed on node {nodes.Cluster.Addresses[1]}", e.Message);
    }

    [Fact]
    public void Assignments_deal_cores_as_documented()
    {
        var net = MeshRuntimeTests.RandomNetwork(3);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        int n = mesh.Cores.Length;
        Assert.Equal(Enumerable.Range(0, n).Select(k => k * 2 / n), ClusterMesh.Assign(mesh, 2, NodeAssignment.Blocks));
        Assert.Equal(Enumerable.Range(0, n).Select(k => k % 3), ClusterMesh.Assign(mesh, 3, NodeAssignment.RoundRobin));
        var chip = ClusterMesh.Assign(mesh, 2, NodeAssignment.Chip);
        foreach (var group in mesh.Cores.Select((c, k) => (Chip: (c.ChipX, c.ChipY), Node: chip[k])).GroupBy(x => x.Chip))
            Assert.Single(group.Select(x => x.Node).Distinct());
        Assert.All(ClusterMesh.Assign(mesh, 1, NodeAssignment.RoundRobin), node => Assert.Equal(0, node));
    }
}
