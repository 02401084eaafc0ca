using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Recovery;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Core.Dynamics;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Runtime.Deployment;

/// <summary>How a mesh is deployed: its stream slots, where its cores go (<see cref="MeshRunOptions"/>), and what it starts from.</summary>
/// <param name="Slots">Streams the mesh can hold open at once (each core keeps state for every slot).</param>
/// <param name="Run">Where the cores go, delivery shuffle, deploy timeout (its run timeout is not used here).</param>
/// <param name="RecordCounts">Keep every quantized core's counts for <see cref="MeshDeployment.TakeRecordedCountsAsync"/>.</param>
/// <param name="Restore">Start every core from this snapshot (and hold its streams' slots for <see cref="MeshDeployment.ResumeAsync"/>), or null for fresh slots.</param>
public sealed record DeploymentOptions(int Slots, MeshRunOptions Run, bool RecordCounts, MeshSnapshot? Restore)
{
    /// <summary><paramref name="slots"/> slots, every core here.</summary>
    public static DeploymentOptions Local(int slots) => new(slots, MeshRunOptions.Local, false, null);

    /// <summary>These options restoring <paramref name="snapshot"/>.</summary>
    public DeploymentOptions RestoringFrom(MeshSnapshot snapshot) => this with { Restore = snapshot, Slots = snapshot.Slots };

    /// <summary>Every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Slots < 1) e.Add($"slots: must be at least 1, got {Slots}");
        if (Run is null) e.Add("run: missing");
        else e.AddRange(Run.Validate());
        if (Restore is { } r && r.Slots != Slots) e.Add($"restore: the snapshot has {r.Slots} slots, the options {Slots}");
        return e;
    }
}

/// <summary>
/// A whole mesh at a step boundary: every core's state (in placement order) and where each open stream stood. Restored
/// onto fresh cores (<see cref="DeploymentOptions.RestoringFrom"/>), the mesh continues exactly: the same outputs as an
/// uninterrupted run, given the rest of each stream's input from its <see cref="StreamPosition.NextStep"/>.
/// </summary>
/// <param name="Step">The mesh step after which it was taken (−1: before any).</param>
public sealed record MeshSnapshot(long Step, int Slots, ImmutableArray<CoreSnapshot> Cores, ImmutableArray<StreamPosition> Streams);

/// <summary>
/// A compiled mesh deployed once and kept up: streams open and close while it runs (<see cref="OpenAsync"/>), each
/// core an actor here or on a cluster node. Dispose it to stop every core.
/// </summary>
public sealed class MeshDeployment : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _deployer;
    private readonly IActorRef _driver;

    private readonly RecoveryLog _log;

    private MeshDeployment(ActorSystem system, CompiledMesh mesh, DeploymentOptions options, IActorRef deployer, IActorRef driver, RecoveryLog log)
    {
        _system = system;
        _log = log;
        Mesh = mesh;
        Options = options;
        _deployer = deployer;
        _driver = driver;
    }

    public CompiledMesh Mesh { get; }

    public DeploymentOptions Options { get; }

    /// <summary>
    /// The recoveries from lost nodes so far, in the order they completed (docs/cluster.md): what was lost, the recovery
    /// point, what moved and how long each part took. Empty while no node was lost.
    /// </summary>
    public ImmutableList<MeshRecovery> Recoveries => _log.All;

    /// <summary>
    /// Hosts and wires every core of <paramref name="mesh"/> and starts its driver. A node that does not answer within
    /// the deploy timeout, or is lost, fails the task with <see cref="MeshClusterException"/> naming it.
    /// </summary>
    public static async Task<MeshDeployment> StartAsync(ActorSystem system, CompiledMesh mesh, DeploymentOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } problems) throw new ArgumentException($"deployment options: {string.Join("; ", problems)}", nameof(options));
        MeshRuntime.CheckNodes(system, options.Run);
        var ready = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new RecoveryLog();
        var deployer = system.ActorOf(Props.Create(() => new MeshDeployer(mesh, options, ready, log)), $"mesh-{Guid.NewGuid():N}");
        try
        {
            var driver = await ready.Task.WaitAsync(cancel).ConfigureAwait(false);
            return new MeshDeployment(system, mesh, options, deployer, driver, log);
        }
        catch
        {
            system.Stop(deployer);
            throw;
        }
    }

    /// <summary>Opens a stream in a free slot (its state fresh); with every slot taken, its <see cref="WhenNoSlot"/> decides.</summary>
    public Task<MeshStream> OpenAsync(StreamOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        var opened = new TaskCompletionSource<MeshStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new OpenStream(options, opened));
        return opened.Task.WaitAsync(cancel);
    }

    /// <summary>Binds a stream of the restored snapshot again: it continues from its <see cref="StreamPosition.NextStep"/>.</summary>
    public Task<MeshStream> ResumeAsync(StreamPosition position, StreamOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(options);
        var opened = new TaskCompletionSource<MeshStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new ResumeStream(position, options, opened));
        return opened.Task.WaitAsync(cancel);
    }

    /// <summary>
    /// Watches the spike counts of the quantized population <paramref name="population"/> on <paramref name="stream"/> (open
    /// on this deployment): its cores send the stream's counts each step, and the watch gives whole steps, in unit order,
    /// from the stream's next step (its first, if it has taken none) until it closes (<see cref="SpikeWatch"/>). At most
    /// <paramref name="capacity"/> steps wait to be read; older ones are dropped. A non-spiking population is refused: its
    /// cores send activities as fixed-point payloads, not counts, and there is no spike to show. The answer comes once
    /// every core of the population holds the tap. ArgumentException naming an unknown or non-spiking population (and the
    /// ones there are); InvalidOperationException for a stream that is not open here.
    /// </summary>
    public async Task<SpikeWatch> WatchAsync(MeshStream stream, string population, int capacity, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(population);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        var populations = Mesh.Network.Populations;
        int index = -1;
        for (int i = 0; i < populations.Length; i++) if (populations[i].Name == population) index = i;
        if (index < 0)
            throw new ArgumentException($"no population '{population}' (populations: {string.Join(", ", populations.Select(p => p.Name))})", nameof(population));
        if (!populations[index].IsQuantized)
            throw new ArgumentException($"population '{population}' is not quantized: it sends activities, not spike counts (quantized populations: {string.Join(", ", populations.Where(p => p.IsQuantized).Select(p => p.Name))})", nameof(population));
        var channel = Channel.CreateBounded<PopulationCounts>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var opened = new TaskCompletionSource<(long, IActorRef)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new WatchPopulation(stream, index, populations[index].Size, channel.Writer, opened, ready));
        var (tap, watcher) = await opened.Task.WaitAsync(cancel).ConfigureAwait(false);
        var watch = new SpikeWatch(population, channel, _driver, tap, index, watcher);
        try { watch.FirstStep = await ready.Task.WaitAsync(cancel).ConfigureAwait(false); }
        catch
        {
            await watch.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return watch;
    }

    /// <summary>The whole mesh at the next step boundary: the mesh holds there (a management phase) until every core has answered.</summary>
    public Task<MeshSnapshot> SnapshotAsync(CancellationToken cancel)
    {
        var done = new TaskCompletionSource<MeshSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new AtBoundary(step => new TakeSnapshot(step, WithCounters: false),
            a => done.TrySetResult(new MeshSnapshot(a.Step, Options.Slots, [.. a.Answers.Cast<CoreSnapshotTaken>().Select(c => c.State)], a.Streams)),
            e => done.TrySetException(e)));
        return done.Task.WaitAsync(cancel);
    }

    /// <summary>
    /// The traffic, energy and time of everything since the last collection, counted by stream step (step k of every stream
    /// adds to step k; steps beyond <paramref name="steps"/> to the last), normalized to <paramref name="inferences"/>
    /// inferences; taken at a step boundary, so that every packet sent is counted received.
    /// </summary>
    public Task<MeshTelemetry> CollectTelemetryAsync(int inferences, int steps, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inferences);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        var done = new TaskCompletionSource<MeshTelemetry>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new AtBoundary(step => new CollectTraffic(step, steps),
            a =>
            {
                try { done.TrySetResult(MeshTelemetry.From(Mesh, inferences, steps, [.. a.Answers.Cast<CoreTraffic>()])); }
                catch (Exception e) { done.TrySetException(e); }
            },
            e => done.TrySetException(e)));
        return done.Task.WaitAsync(cancel);
    }

    /// <summary>The quantized cores' counts recorded so far (with <see cref="DeploymentOptions.RecordCounts"/>), with the headers of their steps.</summary>
    internal Task<(ImmutableArray<CoreCounts> Counts, ImmutableDictionary<long, StepHeader> Headers)> TakeRecordedCountsAsync()
    {
        var done = new TaskCompletionSource<(ImmutableArray<CoreCounts>, ImmutableDictionary<long, StepHeader>)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new TakeRecordedCounts(done));
        return done.Task;
    }

    /// <summary>Takes no new streams and completes once every open stream has closed (a newer model serves the new ones).</summary>
    public Task StopWhenIdleAsync(CancellationToken cancel)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new StopWhenIdle(done));
        return done.Task.WaitAsync(cancel);
    }

    /// <summary>Stops every core (here and on the nodes); open streams end with an error.</summary>
    public async ValueTask DisposeAsync()
    {
        try { await _deployer.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (TaskCanceledException) { _system.Stop(_deployer); }
    }
}
