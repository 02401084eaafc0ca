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
    /// <see cref="Cluster.MeshClusterException"/>.
    /// </summary>
    public static async Task<MeshRunResult> RunWithTelemetryAsync(ActorSystem system, CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps,
        IActivityObserver? observer, MeshRunOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        var net = mesh.Network;
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a mesh run needs at least one step");
        if (streams <= 0) throw new ArgumentOutOfRangeException(nameof(streams), streams, "a mesh run needs at least one stream");
        if (inputs.Length != streams * steps * net.Input.Dimensions)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {streams} streams x {steps} steps x {net.Input.Dimensions} dims need {streams * steps * net.Input.Dimensions}");
        if (options.Validate() is { Count: > 0 } problems) throw new ArgumentException($"mesh run options: {string.Join("; ", problems)}", nameof(options));
        CheckNodes(system, options);
        var done = new TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Mapping.Telemetry.CoreTraffic> Traffic)>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool record = observer is not null;
        var run = system.ActorOf(Props.Create(() => new MeshRun(mesh, inputs, streams, steps, record, options, done)), $"mesh-run-{Guid.NewGuid():N}");
        using var timeout = options.Timeout is { } t ? new CancellationTokenSource(t) : null;
        using var timedOut = timeout?.Token.Register(() =>
        {
            done.TrySetException(new TimeoutException($"the mesh run ({mesh.Cores.Length} cores, {streams} streams x {steps} steps) did not finish within {options.Timeout}"));
            system.Stop(run);
        });
        using var registration = cancel.Register(() => { done.TrySetCanceled(cancel); system.Stop(run); });
        var (outputs, counts, traffic) = await done.Task.ConfigureAwait(false);
        if (observer is not null) Replay(net, streams, counts, observer);
        var outputSize = net.Population(net.Output.Population).Size;
        var predictions = Enumerable.Range(0, streams).Select(s =>
        {
            int best = 0;
            for (int i = 1; i < outputSize; i++) if (outputs[s * outputSize + i] > outputs[s * outputSize + best]) best = i;
            return best;
        });
        return new MeshRunResult(new SimulationResult(Matrix.Create(streams, outputSize, outputs), [.. predictions]),
            Mapping.Telemetry.MeshTelemetry.From(mesh, streams, steps, traffic));
    }

    private static void CheckNodes(ActorSystem system, MeshRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsLocal) return;
        if (options.Nodes.Distinct().Count() != options.Nodes.Length)
            throw new ArgumentException($"a node is listed twice: {string.Join(", ", options.Nodes)}");
        var self = Cluster.ClusterMesh.SelfAddress(system);
        if (options.Nodes.Any(n => !n.Equals(self)) && ((ExtendedActorSystem)system).Provider is not Akka.Remote.IRemoteActorRefProvider)
            throw new ArgumentException($"cores on other nodes need an actor system with remoting (a cluster node: ClusterNodeConfig.StartSystem); '{system.Name}' is local-only");
    }

    /// <summary>Hands the cores' counts to the observer step by step, population by population, as [stream, unit] of the whole population.</summary>
    private static void Replay(NetworkDescription net, int streams, List<CoreCounts> counts, IActivityObserver observer)
    {
        foreach (var step in counts.GroupBy(c => c.Step).OrderBy(g => g.Key))
            foreach (var (population, pi) in net.Populations.Select((p, i) => (p, i)).Where(x => x.p.IsQuantized))
            {
                var whole = new int[streams * population.Size];
                foreach (var c in step.Where(c => c.Population == pi))
                    for (int s = 0; s < streams; s++)
                        for (int i = 0; i < c.Count; i++) whole[s * population.Size + c.Start + i] = c.Values[s * c.Count + i];
                observer.OnCounts(step.Key, population, whole);
            }
    }
}

/// <summary>A mesh run: the simulation result and its telemetry.</summary>
public sealed record MeshRunResult(SimulationResult Result, Mapping.Telemetry.MeshTelemetry Telemetry);

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
