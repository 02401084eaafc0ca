using System.CommandLine;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike node</c>: a cluster node that hosts mesh cores for runs coordinated elsewhere, until Ctrl-C.</summary>
internal static class NodeCommand
{
    /// <summary>How long a node or a coordinator waits for its graceful leave before it stops anyway (System.CommandLine waits 2 s after Ctrl-C).</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(1.5);

    public static Command Build()
    {
        var cmd = new Command("node", "Start a cluster node that hosts mesh cores for `simulate --cluster` runs, until Ctrl-C");
        var config = new Option<string>("--config") { Description = "The node's HOCON file (see cluster-config/README.md)", Required = true };
        var port = new Option<int?>("--port") { Description = "Listen on this port instead of the file's (several nodes from one file)" };
        cmd.Options.Add(config);
        cmd.Options.Add(port);
        cmd.SetAction(async (result, cancel) =>
        {
            var settings = ClusterNodeConfig.Load(result.GetValue(config)!);
            if (result.GetValue(port) is { } p) settings = settings.WithPort(p);
            var err = result.InvocationConfiguration.Error;
            using var system = settings.StartSystem();
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
        });
        return cmd;
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

    /// <summary>Leaves the cluster (bounded) when disposed: for a coordinator's <c>await using</c>, whatever way the run ends.</summary>
    internal static IAsyncDisposable LeaveOnExit(ActorSystem system) => new Leave(system);

    private sealed class Leave(ActorSystem system) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await LeaveAsync(system);
    }

    /// <summary>
    /// For <c>simulate --cluster</c>: starts this process as a node of the cluster in <paramref name="file"/>, waits until
    /// <paramref name="nodes"/> mesh nodes are Up (itself included) and returns the system and the run options
    /// that spread the cores over them.
    /// </summary>
    internal static async Task<(ActorSystem System, MeshRunOptions Options)> JoinAsync(string file, int nodes, NodeAssignment assignment, TimeSpan timeout,
        TextWriter err, CancellationToken cancel)
    {
        if (nodes <= 0) throw new ArgumentException($"--nodes must be positive, got {nodes}");
        var settings = ClusterNodeConfig.Load(file);
        // Disposing the system stops it at once; the graceful leave is LeaveOnExit's, bounded, so that a run that
        // lost a node (the leave cannot converge then) does not wait for the cluster's shutdown timeouts.
        var system = ActorSystem.Create(ClusterNodeConfig.SystemName,
            ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off").WithFallback(settings.Config));
        try
        {
            err.WriteLine($"cluster: {ClusterMesh.SelfAddress(system)} joining {string.Join(", ", settings.SeedNodes)}; waiting for {nodes} mesh nodes (at most {timeout.TotalSeconds:0} s)");
            var members = await ClusterMesh.WaitForNodesAsync(system, nodes, timeout, cancel);
            err.WriteLine($"cluster: cores on {string.Join(", ", members)} ({Assignment(assignment)})");
            return (system, MeshRunOptions.OnNodes(members, assignment));
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    internal static string Assignment(NodeAssignment a) => a switch
    {
        NodeAssignment.RoundRobin => "round-robin",
        NodeAssignment.Chip => "chip",
        _ => "blocks",
    };

    internal static NodeAssignment ParseAssignment(string name) => name switch
    {
        "round-robin" => NodeAssignment.RoundRobin,
        "chip" => NodeAssignment.Chip,
        "blocks" => NodeAssignment.Blocks,
        _ => throw new ArgumentException($"--assign '{name}' is not one of blocks, round-robin, chip"),
    };
}
