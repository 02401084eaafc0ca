using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Akka.Actor;

namespace HybridSpike.Actors.Runtime.Session;

/// <summary>One step of a watched population: the stream's own step and every unit's spike count at it, in unit order.</summary>
public sealed record PopulationCounts(long Step, ImmutableArray<int> Counts);

/// <summary>
/// A spike tap on one quantized population of one open stream (<see cref="Deployment.MeshDeployment.WatchAsync"/>): the
/// population's cores send that stream's counts, the integers they send each other, and <see cref="Counts"/> gives them
/// a whole step at a time, in step order, from <see cref="FirstStep"/> until the stream closes. Bounded: at most the
/// capacity asked for wait to be read, the oldest dropped first, so a slow watcher neither slows the mesh nor grows
/// memory. Watching changes nothing the mesh computes. Dispose it to stop the cores sending.
/// </summary>
public sealed class SpikeWatch : IAsyncDisposable
{
    private readonly Channel<PopulationCounts> _channel;
    private readonly IActorRef _driver;
    private readonly long _tap;
    private readonly int _population;
    private readonly IActorRef _watcher;
    private int _disposed;

    internal SpikeWatch(string population, Channel<PopulationCounts> channel, IActorRef driver, long tap, int populationIndex, IActorRef watcher)
    {
        Population = population;
        _channel = channel;
        _driver = driver;
        _tap = tap;
        _population = populationIndex;
        _watcher = watcher;
    }

    /// <summary>The population watched.</summary>
    public string Population { get; }

    /// <summary>
    /// The stream's first step watched: its next step when the watch began (0 if it had taken none), or later if the
    /// mesh was already further on at some core; long.MaxValue if the stream had ended everywhere.
    /// </summary>
    public long FirstStep { get; internal set; }

    /// <summary>Whole steps, in step order; completes once the stream has closed and its last step is out (or when disposed), faults with the mesh.</summary>
    public ChannelReader<PopulationCounts> Counts => _channel.Reader;

    /// <summary>Stops the cores sending and completes <see cref="Counts"/>.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _driver.Tell(new Unwatch(_tap, _population, _watcher));
            _channel.Writer.TryComplete();
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The watcher of one spike tap, a child of the step driver: it learns from each of the population's cores where its
/// counts start (<see cref="TapReady"/>), starts at the latest of those, so that every core sends every step from there,
/// assembles each step from the cores' slices (each core sends its steps in order, so steps complete in order) and
/// writes it to the watch's channel; it ends once it has handed out every step the stream took (<see cref="TapEnd"/>).
/// </summary>
internal sealed class SpikeWatcher : ReceiveActor
{
    private sealed class Pending(int size)
    {
        public readonly int[] Counts = new int[size];
        public readonly HashSet<int> Starts = [];   // the cores' slices in: a core restored after a lost node sends its steps again
        public int Units;
    }

    private readonly int _cores, _size;
    private readonly ChannelWriter<PopulationCounts> _out;
    private readonly TaskCompletionSource<long> _ready;
    private readonly Dictionary<int, long> _firsts = [];
    private readonly Dictionary<long, Pending> _pending = [];   // within the protocol's window: cores run at most that far apart
    private long _next = -1;                                     // the next step to hand out; −1 until every core is ready
    private long? _total;

    public SpikeWatcher(long tap, int cores, int size, ChannelWriter<PopulationCounts> output, TaskCompletionSource<long> ready)
    {
        _cores = cores;
        _size = size;
        _out = output;
        _ready = ready;
        Receive<TapReady>(r =>
        {
            // A core restored after a lost node answers again: the watch has started, and goes on from where it is.
            if (r.Tap != tap || _next >= 0) return;
            _firsts[r.Core] = r.FirstStep;
            if (_firsts.Count < _cores) return;
            _next = _firsts.Values.Max();
            foreach (var early in _pending.Keys.Where(k => k < _next).ToList()) _pending.Remove(early);
            _ready.TrySetResult(_next);
            HandOut();
        });
        Receive<TapCounts>(c =>
        {
            if (c.Tap != tap || (_next >= 0 && c.Step < _next)) return;
            if (!_pending.TryGetValue(c.Step, out var p)) _pending[c.Step] = p = new Pending(_size);
            if (!p.Starts.Add(c.Start)) return;   // the same slice again, from a replayed step: the same counts
            c.Values.AsSpan().CopyTo(p.Counts.AsSpan(c.Start, c.Count));
            p.Units += c.Count;
            HandOut();
        });
        Receive<TapEnd>(e => { _total = e.Steps; HandOut(); });
        Receive<TapFailed>(f =>
        {
            var failure = new StreamFailedException($"the mesh failed: {f.Error.Message}", f.Error);
            _ready.TrySetException(failure);
            _out.TryComplete(failure);
            Context.Stop(Self);
        });
    }

    private void HandOut()
    {
        if (_next < 0) return;
        while (_pending.TryGetValue(_next, out var p) && p.Units == _size)
        {
            _pending.Remove(_next);
            _out.TryWrite(new PopulationCounts(_next, ImmutableCollectionsMarshal.AsImmutableArray(p.Counts)));
            _next++;
        }
        if (_total is { } total && _next >= total)
        {
            _out.TryComplete();
            Context.Stop(Self);
        }
    }

    protected override void PostStop()
    {
        _ready.TrySetException(new InvalidOperationException("the spike watch ended before every core of its population answered (the deployment stopped)"));
        _out.TryComplete();
    }
}

/// <summary>Open a spike tap on <paramref name="Population"/> of <paramref name="Stream"/> (local only: carries its answers).</summary>
internal sealed record WatchPopulation(MeshStream Stream, int Population, int Size, ChannelWriter<PopulationCounts> Counts,
    TaskCompletionSource<(long Tap, IActorRef Watcher)> Opened, TaskCompletionSource<long> Ready);

/// <summary>The watch was disposed: its cores stop sending and its watcher stops.</summary>
internal sealed record Unwatch(long Tap, int Population, IActorRef Watcher);

/// <summary>Driver → watcher: the stream closed after <paramref name="Steps"/> steps of its own.</summary>
internal sealed record TapEnd(long Steps);

/// <summary>Driver → watcher: the mesh failed.</summary>
internal sealed record TapFailed(Exception Error);
