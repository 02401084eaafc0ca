using HybridSpike.Actors.Runtime.Deployment;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Hosting;

namespace HybridSpike.Host.Services;

/// <summary>Cluster nodes: <c>hybridspike node</c>, and the coordinator side of <c>simulate --cluster</c>.</summary>
internal static class NodeService
{
    /// <summary>
    /// How long a node or a coordinator waits for its graceful leave before it stops anyway. A leave takes well under a
    /// second on an idle machine, but a loaded one (tests beside it) took longer than 5 s, and a member that vanishes
    /// instead of leaving can make the other half of a two-member cluster down itself.
    /// </summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs a node that hosts mesh cores until Ctrl-C (exit 130), SIGTERM (exit 0) or <paramref name="cancel"/>; progress on <paramref name="err"/>.</summary>
    public static async Task<int> RunAsync(NodeRequest request, TextWriter err, CancellationToken cancel)
    {
        var settings = ClusterNodeConfig.Load(request.Config);
        if (request.Port is { } p) settings = settings.WithPort(p);
        await using var host = await MeshHost.StartClusterAsync(settings, coordinator: false, cancel);
        var system = host.System;
        ClusterMesh.StartNode(system);
        var cluster = Akka.Cluster.Cluster.Get(system);
        err.WriteLine($"node {cluster.SelfAddress} (roles {string.Join(", ", settings.Roles)}): joining {string.Join(", ", settings.SeedNodes)}; Ctrl-C stops it");
        cluster.RegisterOnMemberUp(() => err.WriteLine($"joined: {cluster.SelfAddress} is up and hosts mesh cores"));

        // Ctrl-C (SIGINT) or SIGTERM: leave the cluster gracefully, then exit 130 or 0.
        PosixSignal? signal = null;
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            signal ??= c.Signal;
            stop.TrySetResult();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var registration = cancel.Register(() => stop.TrySetResult());
        await Task.WhenAny(stop.Task, system.WhenTerminated);
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        if (!stop.Task.IsCompleted && reason is not CoordinatedShutdown.ClrExitReason)
            throw new MeshClusterException($"node {cluster.SelfAddress} left the cluster ({reason?.GetType().Name ?? "terminated"}) and stopped; start it again to host cores");
        await LeaveAsync(system);
        err.WriteLine($"node {cluster.SelfAddress} stopped");
        return signal == PosixSignal.SIGTERM ? 0 : 130;
    }

    /// <summary>Leaves the cluster gracefully (the others see a leave, not a crash), giving up after a short while.</summary>
    internal static async Task LeaveAsync(ActorSystem system)
    {
        try
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(LeaveTimeout);
        }
        catch (TimeoutException)
        {
            // Stopped without the others hearing the leave: they will find it unreachable instead.
        }
    }

    /// <summary>A coordinator in a cluster: its host, and the run options that spread the cores over the nodes that joined.</summary>
    internal sealed class Coordinator(MeshHost host, MeshRunOptions options) : IAsyncDisposable
    {
        public ActorSystem System => host.System;
        public MeshRunOptions Options => options;

        /// <summary>Leaves the cluster (bounded), then stops the system at once: whatever way the run ends.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                await LeaveAsync(host.System);
            }
            finally
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// For <c>simulate --cluster</c>: starts this process as a node of the cluster of <paramref name="cluster"/>, waits until
    /// its nodes are Up (itself included) and returns the coordinator that spreads the cores over them.
    /// </summary>
    internal static async Task<Coordinator> JoinAsync(ClusterRequest cluster, TextWriter err, CancellationToken cancel)
    {
        var settings = ClusterNodeConfig.Load(cluster.File);
        // Disposing the system stops it at once; the graceful leave is the coordinator's, bounded, so that a run that
        // lost a node (the leave cannot converge then) does not wait for the cluster's shutdown timeouts.
        var host = await MeshHost.StartClusterAsync(settings, coordinator: true, cancel);
        try
        {
            err.WriteLine($"cluster: {ClusterMesh.SelfAddress(host.System)} joining {string.Join(", ", settings.SeedNodes)}; waiting for {cluster.Nodes} mesh nodes (at most {cluster.JoinTimeout.TotalSeconds:0} s)");
            var members = await ClusterMesh.WaitForNodesAsync(host.System, cluster.Nodes, cluster.JoinTimeout, cancel);
            err.WriteLine($"cluster: cores on {string.Join(", ", members)} ({Assignments.Name(cluster.Assignment)})");
            var options = MeshRunOptions.OnNodes(members, cluster.Assignment).WithMaxCoresPerNode(cluster.MaxCoresPerNode);
            return new Coordinator(host, cluster.SnapshotInterval is { } k ? options.WithSnapshotInterval(k) : options);
        }
        catch
        {
            // Interrupted or timed out while waiting, this node may already be a member: leave (bounded) rather than
            // vanish. A member that vanishes is unreachable, and with one node left the split-brain resolver keeps the
            // side with the lowest address: a node above this one downed itself 20 s later.
            await LeaveAsync(host.System);
            await host.System.Terminate();
            await host.DisposeAsync();
            throw;
        }
    }
}
