using HybridSpike.Core.Serving;
using System.Collections.Concurrent;
using System.Threading.Channels;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Mapping.Compile;
using Microsoft.Extensions.Logging;

namespace HybridSpike.Host.Serve;

/// <summary>A model the service runs: its name, its version (the artifact's digest) and its resident mesh.</summary>
/// <param name="StepsPerSequence">Steps of one of the sequences the model reads (its dataset's pixels ÷ the input's width), or null when the artifact does not say: what one inference is for the energy estimate.</param>
internal sealed record ServedModel(string Name, string Digest, CompiledMesh Mesh, MeshDeployment Deployment, int? StepsPerSequence)
{
    /// <summary>The version clients see: the first 12 hex digits of the artifact's SHA-256 (docs/artifact.md).</summary>
    public string Version => Digest[..12];

    /// <summary>
    /// The steps of one sequence the artifact's network reads: its input's dataset (or, for an artifact that does not
    /// name it, its training config's), one image's pixels at <see cref="Core.Network.InputMapping.Dimensions"/> a step;
    /// null when neither says or the width does not divide the image.
    /// </summary>
    public static int? SequenceSteps(Core.Artifact.ModelArtifact artifact)
    {
        string dataset;
        if (artifact.Network.Input.Sequence is { } q) dataset = q.Dataset;
        else
        {
            try { dataset = Core.Data.DataConfig.FromTrainingConfig(artifact.Provenance.ConfigJson, "the artifact").Dataset; }
            catch (ArgumentException) { return null; }
        }
        if (!Core.Data.Datasets.Names.Contains(dataset)) return null;
        int pixels = Core.Data.Datasets.PixelsPerImage(dataset), dims = artifact.Network.Input.Dimensions;
        return pixels % dims == 0 ? pixels / dims : null;
    }
}

/// <summary>An open stream of the service: its id, the model it runs on to its end, and whether a socket drives it.</summary>
internal sealed class HubStream(string id, ServedModel model, MeshStream stream, FrameEncoding frames)
{
    /// <summary>How the service writes this stream's frames (a client may send either).</summary>
    public FrameEncoding Frames { get; } = frames;

    private int _attached;

    public string Id { get; } = id;

    public ServedModel Model { get; } = model;

    public MeshStream Stream { get; } = stream;

    /// <summary>When a socket last pushed or read, for the idle timeout.</summary>
    public long LastActiveTicks = Environment.TickCount64;

    /// <summary>One socket drives a stream (its pushes are one sequence): a second attach is refused.</summary>
    public bool TryAttach() => Interlocked.Exchange(ref _attached, 1) == 0;

    /// <summary>A socket drives it.</summary>
    public bool Attached => Volatile.Read(ref _attached) != 0;

    private readonly object _watchGate = new();
    private readonly List<Channel<StreamOutput>> _watchers = [];
    private bool _outputsEnded;

    /// <summary>
    /// A copy of every output from now on, for a watcher (<c>GET /v2/streams/{id}/outputs</c>), beside the socket's: at
    /// most <paramref name="capacity"/> wait to be read, the oldest dropped first, so a slow watcher neither slows the
    /// stream nor grows memory. The reader completes once the stream's outputs have all been sent (at once if they have);
    /// dispose the watch to stop it.
    /// </summary>
    public OutputWatch WatchOutputs(int capacity)
    {
        var channel = Channel.CreateBounded<StreamOutput>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_watchGate)
        {
            if (_outputsEnded) channel.Writer.TryComplete();
            else _watchers.Add(channel);
        }
        return new OutputWatch(channel.Reader, () => { lock (_watchGate) _watchers.Remove(channel); });
    }

    /// <summary>The socket sent <paramref name="output"/>: every watcher gets the same.</summary>
    internal void Published(StreamOutput output)
    {
        lock (_watchGate)
            foreach (var w in _watchers) w.Writer.TryWrite(output);
    }

    /// <summary>No output follows (the socket's last was sent, or the stream closed with none): the watchers' readers complete.</summary>
    internal void OutputsEnded()
    {
        lock (_watchGate)
        {
            _outputsEnded = true;
            foreach (var w in _watchers) w.Writer.TryComplete();
            _watchers.Clear();
        }
    }

    /// <summary>What <c>GET /v2/streams</c> says of it.</summary>
    public StreamInfo Info() =>
        new(Id, Model.Name, Model.Version, Stream.StepsTaken, Stream.IsComplete ? "closing" : Attached ? "streaming" : "opened");
}

/// <summary>A watcher's copy of a stream's outputs (<see cref="HubStream.WatchOutputs"/>); disposing it stops the copy.</summary>
internal sealed class OutputWatch(ChannelReader<StreamOutput> outputs, Action stop) : IDisposable
{
    public ChannelReader<StreamOutput> Outputs { get; } = outputs;

    public void Dispose() => stop();
}

/// <summary>The service has stopped taking streams (it is shutting down).</summary>
internal sealed class ServiceStoppingException(string message) : InvalidOperationException(message);

/// <summary>
/// The open streams of the service, over its models' resident meshes. Bounded: a stream takes one of its deployment's
/// slots and no stream waits for one (a full service answers 429); an idle stream is closed, freeing its slot.
/// Models side by side (docs/serve.md, "Live deployment"): new streams open on the serving model; when a newer one is
/// switched in, open streams finish on the version they started with and the older mesh stops once idle.
/// </summary>
internal sealed class StreamHub(ServedModel model, TimeSpan idleTimeout, ServeMetrics metrics, ILogger log) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, HubStream> _streams = new();
    private readonly object _gate = new();
    private readonly List<(ServedModel Model, Task Stopped)> _history = [];   // every model served, oldest first
    private ServedModel _current = model;
    private long _next;
    private volatile bool _stopping;

    /// <summary>The model new streams open on.</summary>
    public ServedModel Model { get { lock (_gate) return _current; } }

    public TimeSpan IdleTimeout { get; } = idleTimeout;

    public int OpenStreams => _streams.Count;

    /// <summary>Input steps pushed and not yet taken by the mesh, over the open streams.</summary>
    public int QueuedSteps => _streams.Values.Sum(s => s.Stream.BufferedSteps);

    public ServeMetrics Metrics { get; } = metrics;

    public ILogger Log { get; } = log;

    public int MaxStreams => Model.Deployment.Options.Slots;

    /// <summary>Opens a stream on the serving model: ArgumentException for bad options, NoFreeSlotException when every slot is taken.</summary>
    public async Task<HubStream> OpenAsync(OpenStreamRequest request, CancellationToken cancel)
    {
        if (_stopping) throw new ServiceStoppingException("the service is shutting down: it opens no new stream");
        var options = Options(request);
        var frames = Encoding(request.Frames);
        while (true)
        {
            var target = Model;
            MeshStream stream;
            try { stream = await target.Deployment.OpenAsync(options, cancel).ConfigureAwait(false); }
            catch (DeploymentRetiringException) when (!ReferenceEquals(target, Model)) { continue; }   // raced a switch: the newer model
            // Service-wide ids: each deployment numbers its streams from 0.
            var opened = new HubStream(Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture), target, stream, frames);
            _streams[opened.Id] = opened;
            Metrics.Streams.Inc();
            Log.LogInformation("stream {StreamId} opened on {Model} version {Version}", opened.Id, target.Name, target.Version);
            _ = stream.Completion.ContinueWith(_ =>
            {
                _streams.TryRemove(opened.Id, out HubStream? _);
                // With no socket there were no outputs (its socket ends its watchers itself, after its last output).
                if (!opened.Attached) opened.OutputsEnded();
            }, TaskScheduler.Default);
            return opened;
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the model new streams open on; the one serving so far finishes its open streams
    /// and stops once idle (the returned task completes then).
    /// </summary>
    public Task SwitchTo(ServedModel next)
    {
        ServedModel previous;
        lock (_gate)
        {
            previous = _current;
            _current = next;
        }
        var stopped = Retire(previous);
        lock (_gate) _history.Add((previous, stopped));
        return stopped;
    }

    private async Task Retire(ServedModel model)
    {
        try
        {
            await model.Deployment.StopWhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
            // Its last counts, taken before its cores stop (the telemetry poll would miss them).
            if (Retired is { } last)
            {
                try { await last(model).ConfigureAwait(false); }
                catch (Exception e) { Log.LogWarning("the last telemetry of {Model} version {Version} was not collected: {Error}", model.Name, model.Version, e.Message); }
            }
        }
        finally { await model.Deployment.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>Called with a retired model once its last stream has closed, before its mesh stops.</summary>
    public Func<ServedModel, Task>? Retired { get; set; }

    /// <summary>The models whose meshes run: the serving one first, then those retiring (open streams still on them).</summary>
    public IReadOnlyList<ServedModel> Running()
    {
        lock (_gate)
            return [_current, .. _history.Where(h => !h.Stopped.IsCompleted && !ReferenceEquals(h.Model, _current)).Select(h => h.Model).Reverse()];
    }

    /// <summary>The model served before the current one (what a rollback returns to), or null.</summary>
    public ServedModel? Previous
    {
        get
        {
            lock (_gate)
                return _history.Select(h => h.Model).LastOrDefault(m => m.Digest != _current.Digest);
        }
    }

    /// <summary>Every model the service holds or held, newest first, with its state and open streams.</summary>
    public IReadOnlyList<ModelVersionInfo> Versions()
    {
        lock (_gate)
        {
            var counts = _streams.Values.GroupBy(s => s.Model).ToDictionary(g => g.Key, g => g.Count());
            var list = new List<ModelVersionInfo> { Info(_current, "serving", counts) };
            for (int i = _history.Count - 1; i >= 0; i--)
            {
                var (m, stopped) = _history[i];
                list.Add(Info(m, stopped.IsCompleted ? "stopped" : "retiring", counts));
            }
            return list;
        }
    }

    private static ModelVersionInfo Info(ServedModel m, string state, Dictionary<ServedModel, int> counts) =>
        new(m.Name, m.Version, m.Digest, state, counts.GetValueOrDefault(m),
            m.Mesh.Network.Input.Sequence is { } q ? new ModelInput(q.Dataset, q.SplitSeed, q.PermutationSeed) : null,
            [.. m.Mesh.Network.Populations.Select(p => new PopulationInfo(p.Name, p.Size, p.IsQuantized))]);

    /// <summary>The frame encoding a request asks for; ArgumentException naming another.</summary>
    internal static FrameEncoding Encoding(string? frames) => frames switch
    {
        null or "json" => FrameEncoding.Json,
        "msgpack" => FrameEncoding.MessagePack,
        var other => throw new ArgumentException($"frames '{other}' is not one of json, msgpack"),
    };

    /// <summary>The stream options a request asks for; ArgumentException naming the field that is wrong.</summary>
    internal static StreamOptions Options(OpenStreamRequest request)
    {
        var reads = request.ReadSteps is { Count: > 0 } steps ? OutputReads.AtSteps(steps) : OutputReads.EveryStep;
        if (reads.Validate() is { Count: > 0 } errors) throw new ArgumentException(string.Join("; ", errors.Select(e => e.Replace("reads.steps", "readSteps"))));
        var whenFull = request.WhenFull switch
        {
            null or "wait" => WhenFull.Wait,
            "reject" => WhenFull.Reject,
            var other => throw new ArgumentException($"whenFull '{other}' is not one of wait, reject"),
        };
        return StreamOptions.Default.WithReads(reads).WithWhenFull(whenFull).WithWhenNoSlot(WhenNoSlot.Reject);
    }

    public HubStream? Find(string id) => _streams.GetValueOrDefault(id);

    /// <summary>The open streams, oldest first (ids are numbered in opening order).</summary>
    public IReadOnlyList<StreamInfo> List() =>
        [.. _streams.Values.OrderBy(s => long.Parse(s.Id, System.Globalization.CultureInfo.InvariantCulture)).Select(s => s.Info())];

    /// <summary>Closes the streams no socket has pushed to or read from for <see cref="IdleTimeout"/>, freeing their slots.</summary>
    public int CloseIdle()
    {
        long now = Environment.TickCount64;
        int closed = 0;
        foreach (var s in _streams.Values)
            if (now - Volatile.Read(ref s.LastActiveTicks) > (long)IdleTimeout.TotalMilliseconds)
            {
                Log.LogInformation("stream {StreamId} idle for {IdleSeconds} s: its input is ended", s.Id, IdleTimeout.TotalSeconds);
                s.Stream.Complete();
                closed++;
            }
        return closed;
    }

    /// <summary>From now on no new stream is opened (<see cref="ServiceStoppingException"/>, a 503).</summary>
    public void StopOpening() => _stopping = true;

    /// <summary>
    /// Shutting down: no new stream; the open ones get until <paramref name="deadline"/> to finish, then their input is
    /// ended (their sockets get a <c>closed</c> frame saying so).
    /// </summary>
    public async Task DrainAsync(TimeSpan deadline)
    {
        StopOpening();
        var until = Environment.TickCount64 + (long)deadline.TotalMilliseconds;
        // Again until none is left: an open request that passed the stopping check just before may add one.
        while (!_streams.IsEmpty && Environment.TickCount64 < until)
        {
            var all = Task.WhenAll(_streams.Values.Select(s => s.Stream.Completion));
            var left = TimeSpan.FromMilliseconds(Math.Max(0, until - Environment.TickCount64));
            // A faulted stream counts as finished here: its socket has said why.
            await Task.WhenAny(all, Task.Delay(left)).ConfigureAwait(false);
            // The finished ones leave the dictionary just after their completion.
            await Task.Delay(10).ConfigureAwait(false);
        }
        if (!_streams.IsEmpty)
        {
            Log.LogInformation("drain deadline of {DeadlineSeconds} s passed: the input of {Streams} open streams is ended", deadline.TotalSeconds, _streams.Count);
            foreach (var s in _streams.Values) s.Stream.Complete();
        }
    }

    /// <summary>Stops every mesh: the serving one and those still retiring.</summary>
    public async ValueTask DisposeAsync()
    {
        ServedModel current;
        (ServedModel Model, Task Stopped)[] history;
        lock (_gate) { current = _current; history = [.. _history]; }
        foreach (var (m, stopped) in history)
            if (!stopped.IsCompleted) await m.Deployment.DisposeAsync().ConfigureAwait(false);
        await current.Deployment.DisposeAsync().ConfigureAwait(false);
    }
}
