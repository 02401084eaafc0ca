using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Runtime;

/// <summary>Runs a compiled mesh on an actor system: one actor per core, spikes as messages.</summary>
public static class MeshRuntime
{
    /// <summary>The dispatcher the core actors run on, when the actor system defines it (<see cref="DispatcherConfig"/>).</summary>
    public const string DispatcherId = "hybridspike.mesh-dispatcher";

    /// <summary>
    /// HOCON for <see cref="DispatcherId"/>: the cores on a few dedicated threads (one per processor)
    /// rather than the .NET thread pool. A core's step is short, so handing each message to a pool
    /// thread and waking it costs more than the step; dedicated threads move 3-5x more messages per
    /// second here (docs/benchmarks/mesh.md). Add it to an actor system's configuration (a fallback
    /// is fine); without it the cores run on the default dispatcher.
    /// </summary>
    public static string DispatcherConfig(int threads) => $$"""
        hybridspike.mesh-dispatcher {
          type = ForkJoinDispatcher
          throughput = 100
          dedicated-thread-pool {
            thread-count = {{threads}}
            threadtype = background
          }
        }
        """;

    /// <summary>The props on the mesh dispatcher when the system has one.</summary>
    internal static Props OnMeshDispatcher(ActorSystem system, Props props) =>
        system.Dispatchers.HasDispatcher(DispatcherId) ? props.WithDispatcher(DispatcherId) : props;

    /// <summary>
    /// Runs <paramref name="streams"/> independent input sequences (inputs [stream, step, dim]) through
    /// the mesh at once (each message carries every stream's payloads) and returns the output
    /// population's activity at the last step; the observer, if any, sees every quantized
    /// population's counts per step as the fixed-point simulator reports them.
    /// </summary>
    public static Task<SimulationResult> RunAsync(ActorSystem system, CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps,
        IActivityObserver? observer, CancellationToken cancel) =>
        RunAsync(system, mesh, inputs, streams, steps, observer, MeshRunOptions.Local, cancel);

    /// <summary>As <see cref="RunAsync(ActorSystem, CompiledMesh, ImmutableArray{double}, int, int, IActivityObserver?, CancellationToken)"/>, with <paramref name="options"/>: where the cores go (several nodes: docs/mesh.md), delivery shuffle, time limit.</summary>
    public static async Task<SimulationResult> RunAsync(ActorSystem system, CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps,
        IActivityObserver? observer, MeshRunOptions options, CancellationToken cancel) =>
        (await RunWithTelemetryAsync(system, mesh, inputs, streams, steps, observer, options, cancel).ConfigureAwait(false)).Result;

    /// <summary>As <see cref="RunAsync(ActorSystem, CompiledMesh, ImmutableArray{double}, int, int, IActivityObserver?, CancellationToken)"/>, with the run's traffic, energy and time (<see cref="Mapping.Telemetry.MeshTelemetry"/>).</summary>
    public static Task<MeshRunResult> RunWithTelemetryAsync(ActorSystem system, CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps,
        IActivityObserver? observer, CancellationToken cancel) =>
        RunWithTelemetryAsync(system, mesh, inputs, streams, steps, observer, MeshRunOptions.Local, cancel);

    /// <summary>
    /// As <see cref="RunWithTelemetryAsync(ActorSystem, CompiledMesh, ImmutableArray{double}, int, int, IActivityObserver?, CancellationToken)"/>,
    /// with the cores where <paramref name="options"/> puts them. The result does not depend on the nodes or the
    /// assignment; a node that does not answer, leaves, dies or becomes unreachable fails the task with
    /// <see cref="Deployment.MeshClusterException"/>.
    /// </summary>
    public static async Task<MeshRunResult> RunWithTelemetryAsync(ActorSystem system, CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps,
        IActivityObserver? observer, MeshRunOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        var net = mesh.Network;
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a mesh run needs at least one step");
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), streams, "a mesh run needs at least one stream");
        int dims = net.Input.Dimensions;
        if (inputs.Length != streams * steps * dims)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {streams} streams x {steps} steps x {dims} dims need {streams * steps * dims}");
        if (options.Validate() is { Count: > 0 } problems) throw new ArgumentException($"mesh run options: {string.Join("; ", problems)}", nameof(options));
        using var timeout = options.Timeout is { } t ? new CancellationTokenSource(t) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout?.Token ?? CancellationToken.None);
        try
        {
            // A batch run is a client of a resident mesh: one stream per sequence, its whole input pushed at once, its
            // output read at the last step.
            await using var deployment = await Deployment.MeshDeployment.StartAsync(system, mesh,
                new Deployment.DeploymentOptions(streams, options, observer is not null, null), linked.Token).ConfigureAwait(false);
            var reads = Session.StreamOptions.Default.WithReads(Session.OutputReads.AtSteps([steps - 1]));
            var opened = new Session.MeshStream[streams];
            for (int s = 0; s < streams; s++) opened[s] = await deployment.OpenAsync(reads, linked.Token).ConfigureAwait(false);
            var results = opened.Select(async (stream, s) =>
            {
                await stream.PushAsync(inputs.AsMemory().Slice(s * steps * dims, steps * dims), linked.Token).ConfigureAwait(false);
                stream.Complete();
                Session.StreamOutput? last = null;
                await foreach (var o in stream.ReadAllAsync(linked.Token).ConfigureAwait(false)) last = o;
                await stream.Completion.ConfigureAwait(false);
                return last ?? throw new InvalidOperationException($"stream {s} closed without its last step's output");
            }).ToArray();
            var outputs = await Task.WhenAll(results).ConfigureAwait(false);
            var telemetry = await deployment.CollectTelemetryAsync(streams, steps, linked.Token).ConfigureAwait(false);
            if (observer is not null)
            {
                var (counts, headers) = await deployment.TakeRecordedCountsAsync().ConfigureAwait(false);
                Replay(net, opened, counts, headers, observer);
            }
            int outputSize = outputs[0].Activity.Length;
            var values = outputs.SelectMany(o => o.Activity).ToArray();
            return new MeshRunResult(new SimulationResult(Matrix.Create(streams, outputSize, values), [.. outputs.Select(o => o.Argmax)]), telemetry)
            {
                Recoveries = [.. deployment.Recoveries],
            };
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the mesh run ({mesh.Cores.Length} cores, {streams} streams x {steps} steps) did not finish within {options.Timeout}");
        }
        catch (Session.StreamFailedException e) when (e.InnerException is { } inner)
        {
            // The deployment's own error (a core, a node), as a batch caller expects it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }

    internal static void CheckNodes(ActorSystem system, MeshRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsLocal) return;
        if (options.Nodes.Distinct().Count() != options.Nodes.Length)
            throw new ArgumentException($"a node is listed twice: {string.Join(", ", options.Nodes)}");
        var self = Deployment.CoreAssignment.SelfAddress(system);
        if (options.Nodes.Any(n => !n.Equals(self)) && ((ExtendedActorSystem)system).Provider is not Akka.Remote.IRemoteActorRefProvider)
            throw new ArgumentException($"cores on other nodes need an actor system with remoting (a cluster node: ClusterNodeConfig.StartSystem); '{system.Name}' is local-only");
    }

    /// <summary>Hands the cores' counts to the observer step by step, population by population, as [stream, unit] of the whole population (stream s = opened[s]).</summary>
    private static void Replay(NetworkDescription net, Session.MeshStream[] opened, ImmutableArray<CoreCounts> counts,
        ImmutableDictionary<long, StepHeader> headers, IActivityObserver observer)
    {
        int streams = opened.Length;
        var streamOfSlot = opened.ToDictionary(o => o.Slot, o => Array.IndexOf(opened, o));
        var byStep = new SortedDictionary<long, Dictionary<int, int[]>>();   // stream step -> population -> [stream, unit]
        foreach (var c in counts)
        {
            var h = headers[c.Step];
            var size = net.Populations[c.Population].Size;
            for (int k = 0; k < h.Active; k++)
            {
                if (!streamOfSlot.TryGetValue(h.Slots[k], out var s)) continue;
                if (!byStep.TryGetValue(h.LocalSteps[k], out var pops)) byStep[h.LocalSteps[k]] = pops = [];
                if (!pops.TryGetValue(c.Population, out var whole)) pops[c.Population] = whole = new int[streams * size];
                for (int i = 0; i < c.Count; i++) whole[s * size + c.Start + i] = c.Values[k * c.Count + i];
            }
        }
        foreach (var (step, pops) in byStep)
            foreach (var pi in pops.Keys.Order()) observer.OnCounts((int)step, net.Populations[pi], pops[pi]);
    }
}

/// <summary>A mesh run: the simulation result and its telemetry, and the lost nodes it recovered from (docs/cluster.md).</summary>
public sealed record MeshRunResult(SimulationResult Result, Mapping.Telemetry.MeshTelemetry Telemetry)
{
    /// <summary>The recoveries from lost nodes during the run, in order (empty: none was lost). The result is the same either way.</summary>
    public ImmutableArray<Recovery.MeshRecovery> Recoveries { get; init; } = [];
}

/// <summary>The actor mesh behind the simulator contract (for one test suite over every simulator).</summary>
public sealed class MeshSimulator(ActorSystem system, CompiledMesh mesh, MeshRunOptions options) : ISimulator
{
    /// <summary>Every core in <paramref name="system"/>.</summary>
    public MeshSimulator(ActorSystem system, CompiledMesh mesh) : this(system, mesh, MeshRunOptions.Local)
    {
    }

    public NetworkDescription Network => mesh.Network;

    public CompiledMesh Mesh => mesh;

    public MeshRunOptions Options => options;

    public SimulationResult Run(ReadOnlySpan<double> inputs, int batch, int steps, IActivityObserver? observer) =>
        MeshRuntime.RunAsync(system, mesh, ImmutableArray.Create(inputs.ToArray()), batch, steps, observer, options, CancellationToken.None).GetAwaiter().GetResult();
}
