using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Protocol;
using HybridSpike.Actors.Runtime.Recovery;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Runtime.Session;

/// <summary>
/// The host side of a resident mesh, one per deployment: it owns the stream slots and the step protocol
/// (<see cref="StepProtocol"/>). Each mesh step it takes one input step from every open stream that has one, so
/// a stream's state advances only on steps where it has input; it sends the step's header and input to the
/// cores, at most a window ahead of the slowest core; it hands the output cores' activities to their streams; and
/// at a step boundary (a management phase) it takes snapshots and collects telemetry. Which streams share a mesh
/// step depends on when their input arrives; what each stream computes does not (docs/mesh.md).
/// </summary>
internal sealed class StepDriver : ReceiveActor
{
    private sealed class Slot
    {
        public MeshStream? Stream;
        public StreamPosition? Parked;     // a restored stream not yet resumed
        public long NextStep;              // the stream's next own step
        public bool NeedsReset;
        public int PendingReads;           // read steps fed whose output has not come back
        public long Generation;            // resets sent for the slot: the number of the stream the cores hold there
    }

    private sealed class PendingOutput(StepHeader header, int size)
    {
        public readonly StepHeader Header = header;
        public readonly double[] Values = new double[header.Reads.Length * size];
        public int Units;
    }

    private sealed class Boundary(long step, int cores, AtBoundary request, object message)
    {
        public readonly long Step = step;
        public readonly AtBoundary Request = request;
        public readonly object Message = message;
        public readonly object?[] Answers = new object?[cores];
        public int Count;
    }

    private readonly Slot[] _slots;
    private readonly int _dims, _outputSize, _coreCount;
    private readonly StepProtocol _protocol;
    private readonly bool _recordCounts;
    private readonly Queue<(StreamOptions Options, TaskCompletionSource<MeshStream> Opened)> _waiting = [];
    private readonly Dictionary<long, PendingOutput> _outputs = [];
    private readonly Dictionary<long, StepHeader> _recordedHeaders = [];
    private readonly List<CoreCounts> _recorded = [];
    private Boundary? _boundary;
    private readonly LinkedList<AtBoundary> _boundaryQueue = [];
    private ImmutableArray<IActorRef> _cores = [], _fedByInput = [], _needStart = [];
    private ImmutableArray<int> _corePopulations = [];
    private readonly Dictionary<long, (int Slot, IActorRef Watcher)> _taps = [];   // open spike taps, until their stream closes
    private long _nextTap;
    private bool _started, _stopping;
    private Exception? _failure;
    private long _nextStreamId;
    private TaskCompletionSource? _idle;

    // Recovery (docs/cluster.md): a recovery point every K mesh steps, the input fed since, and the cores of this epoch,
    // the only ones whose reports count (a replaced core's messages may still be on their way).
    private readonly RecoverySettings _recovery;
    private readonly RecoveryLog _log;
    private RecoveryPoint? _point;
    private readonly List<StepInput> _journal = [];
    private readonly Queue<StepInput> _replay = [];
    private bool _pointDue, _suspended;
    private HashSet<IActorRef> _current = [];
    private PendingRecovery? _finishing;
    private readonly Dictionary<(int Population, int Start), long> _countsTaken = [];   // per core: the last step handed over
    private readonly Dictionary<long, (TapOn On, int Population)> _tapOns = [];

    public StepDriver(int slots, int dims, int outputSize, int cores, StepProtocolSettings settings, bool recordCounts, ImmutableArray<StreamPosition> restored,
        RecoverySettings recovery, RecoveryLog log)
    {
        _recovery = recovery;
        _log = log;
        _slots = [.. Enumerable.Range(0, slots).Select(_ => new Slot())];
        _dims = dims;
        _outputSize = outputSize;
        _coreCount = cores;
        _protocol = new StepProtocol(settings, cores);
        _recordCounts = recordCounts;
        foreach (var p in restored)
        {
            _slots[p.Slot].Parked = p;
            _nextStreamId = Math.Max(_nextStreamId, p.StreamId + 1);
        }
        Receive<DriverStart>(OnStart);
        Receive<OpenStream>(OnOpen);
        Receive<ResumeStream>(OnResume);
        Receive<InputArrived>(_ => Feed());
        Receive<Progress>(p => { if (!Current()) return; _protocol.Progress(p.Core, p.Steps); Feed(); });
        Receive<OutputActivity>(a => { if (Current()) OnOutput(a); });
        Receive<CoreCounts>(c => { if (_recordCounts && Current() && !(_countsTaken.TryGetValue((c.Population, c.Start), out var taken) && c.Step <= taken)) _recorded.Add(c); });
        Receive<CoreSnapshotTaken>(s => { if (Current()) Answer(s.Core, s.Step, s); });
        Receive<CoreTraffic>(t => { if (Current() && _boundary is { } b) Answer(t.Core, b.Step, t); });
        Receive<Suspend>(_ => OnSuspend());
        Receive<ResumeFromPoint>(OnResumeFromPoint);
        Receive<AtBoundary>(OnAtBoundary);
        Receive<TakeRecordedCounts>(t =>
        {
            t.Done.TrySetResult(([.. _recorded], _recordedHeaders.ToImmutableDictionary()));
            // A replay after a recovery sends these steps' counts again: they were handed over once.
            foreach (var c in _recorded)
                _countsTaken[(c.Population, c.Start)] = Math.Max(c.Step, _countsTaken.GetValueOrDefault((c.Population, c.Start), -1));
            _recorded.Clear();
            _recordedHeaders.Clear();
        });
        Receive<StopWhenIdle>(s =>
        {
            _stopping = true;
            _idle = s.Done;
            // Waiting opens will get no slot here: they go to the newer model.
            while (_waiting.TryDequeue(out var w)) w.Opened.TrySetException(new Deployment.DeploymentRetiringException("this deployment takes no new streams: it stops once its open streams close"));
            CheckIdle();
        });
        Receive<DriverFailed>(f => Fail(f.Error));
        Receive<WatchPopulation>(OnWatch);
        Receive<Unwatch>(u =>
        {
            _taps.Remove(u.Tap);
            _tapOns.Remove(u.Tap);
            foreach (var k in CoresOf(u.Population)) _cores[k].Tell(new TapOff(u.Tap));
            Context.Stop(u.Watcher);
        });
    }

    private void OnStart(DriverStart s)
    {
        Wire(s);
        _started = true;
        // The first recovery point is the deployment's own start: before any step.
        _pointDue = _recovery.Enabled;
        NextBoundary();
        Feed();
    }

    private void Wire(DriverStart s)
    {
        _cores = s.Cores;
        _fedByInput = s.FedByInput;
        _needStart = s.NeedStart;
        _corePopulations = s.CorePopulations;
        _current = [.. s.Cores];
    }

    /// <summary>The message comes from a core of this epoch (after a recovery, a replaced core's reports no longer count).</summary>
    private bool Current() => _current.Contains(Sender);

    private void OnOpen(OpenStream o)
    {
        if (_failure is { } f) { o.Opened.TrySetException(new StreamFailedException($"the mesh failed: {f.Message}", f)); return; }
        if (_stopping) { o.Opened.TrySetException(new Deployment.DeploymentRetiringException("this deployment takes no new streams: it stops once its open streams close")); return; }
        if (o.Options.Reads.Validate() is { Count: > 0 } problems) { o.Opened.TrySetException(new ArgumentException(string.Join("; ", problems))); return; }
        int free = Array.FindIndex(_slots, s => s.Stream is null && s.Parked is null);
        if (free >= 0) { o.Opened.TrySetResult(Bind(free, _nextStreamId++, 0, o.Options)); return; }
        if (o.Options.WhenNoSlot == WhenNoSlot.Reject)
            o.Opened.TrySetException(new NoFreeSlotException($"every one of the mesh's {_slots.Length} stream slots holds an open stream"));
        else _waiting.Enqueue((o.Options, o.Opened));
    }

    private void OnResume(ResumeStream r)
    {
        if (_failure is { } f) { r.Opened.TrySetException(new StreamFailedException($"the mesh failed: {f.Message}", f)); return; }
        var p = r.Position;
        if ((uint)p.Slot >= (uint)_slots.Length || _slots[p.Slot].Parked != p)
        {
            r.Opened.TrySetException(new ArgumentException($"stream {p.StreamId} at slot {p.Slot} is not a restored stream of this deployment"));
            return;
        }
        _slots[p.Slot].Parked = null;
        r.Opened.TrySetResult(Bind(p.Slot, p.StreamId, p.NextStep, r.Options));
    }

    private MeshStream Bind(int slot, long id, long nextStep, StreamOptions options)
    {
        var stream = new MeshStream(id, slot, _dims, _protocol.Settings.StreamBuffer, options, Self);
        var s = _slots[slot];
        s.Stream = stream;
        s.NextStep = nextStep;
        s.NeedsReset = nextStep == 0;
        s.PendingReads = 0;
        stream.Taken(nextStep);
        return stream;
    }

    private IEnumerable<int> CoresOf(int population) => Enumerable.Range(0, _corePopulations.Length).Where(k => _corePopulations[k] == population);

    /// <summary>
    /// A spike tap on an open stream: a watcher (a child here) assembles whole steps from the population's cores, which
    /// send the stream's counts from its next step on (from its first, if it has not begun), until it closes.
    /// </summary>
    private void OnWatch(WatchPopulation w)
    {
        if (_failure is { } f) { w.Opened.TrySetException(new StreamFailedException($"the mesh failed: {f.Message}", f)); return; }
        var slot = (uint)w.Stream.Slot < (uint)_slots.Length ? _slots[w.Stream.Slot] : null;
        if (slot?.Stream != w.Stream) { w.Opened.TrySetException(new InvalidOperationException($"stream {w.Stream.Id} is not open on this deployment")); return; }
        var cores = CoresOf(w.Population).ToArray();
        long tap = _nextTap++;
        var watcher = Context.ActorOf(Props.Create(() => new SpikeWatcher(tap, cores.Length, w.Size, w.Counts, w.Ready)), $"tap-{tap}");
        // The stream's number at the cores: one more than the resets sent if its own is still to come.
        var on = new TapOn(tap, w.Stream.Slot, slot.NeedsReset ? slot.Generation + 1 : slot.Generation, slot.NextStep, watcher);
        foreach (var k in cores) _cores[k].Tell(on);
        _taps[tap] = (w.Stream.Slot, watcher);
        _tapOns[tap] = (on, w.Population);
        w.Opened.TrySetResult((tap, watcher));
    }

    /// <summary>The compute phase: mesh steps from every stream with input, while the window and the management phase allow.</summary>
    private void Feed()
    {
        if (!_started || _failure is not null || _suspended) return;
        var slots = new List<int>();
        var inputs = new List<ReadOnlyMemory<double>>();
        while (_protocol.CanFeed)
        {
            // After a recovery the journal goes first, step for step as it was fed.
            if (_replay.TryDequeue(out var again))
            {
                long t = _protocol.Fed();
                if (t != again.Header.Step) throw new InvalidOperationException($"replay: step {again.Header.Step} came up as step {t}");
                Send(again);
                if (_replay.Count == 0 && _finishing is { } f)
                {
                    // The replay is fed: the next recovery point, once every core has computed it, ends the recovery.
                    f.ReplayEnd = t;
                    _pointDue = true;
                    NextBoundary();
                }
                continue;
            }
            slots.Clear();
            inputs.Clear();
            for (int i = 0; i < _slots.Length; i++)
            {
                var slot = _slots[i];
                if (slot.Stream is not { } stream) continue;
                // Bounded outputs: a stream whose reader lags takes no step that it would have to read.
                if (stream.Options.Reads.IsRead(slot.NextStep) && stream.OutputsFull(slot.PendingReads, _protocol.Settings.OutputBuffer)) continue;
                if (stream.Input.TryRead(out var step))
                {
                    slots.Add(i);
                    inputs.Add(step);
                }
            }
            if (slots.Count == 0) break;
            SendStep(slots, inputs);
        }
        CloseFinished();
    }

    private void SendStep(List<int> active, List<ReadOnlyMemory<double>> inputs)
    {
        long t = _protocol.Fed();
        var local = new long[active.Count];
        var resets = new List<int>();
        var reads = new List<int>();
        var values = new long[active.Count * _dims];
        for (int k = 0; k < active.Count; k++)
        {
            var s = _slots[active[k]];
            local[k] = s.NextStep++;
            s.Stream!.Taken(s.NextStep);
            if (s.NeedsReset) { resets.Add(active[k]); s.NeedsReset = false; s.Generation++; }
            if (s.Stream!.Options.Reads.IsRead(local[k])) { reads.Add(k); s.PendingReads++; }
            var x = inputs[k].Span;
            for (int d = 0; d < _dims; d++) values[k * _dims + d] = FixedPoint.Payload(x[d]);
        }
        var header = new StepHeader(t, [.. active], ImmutableCollectionsMarshal.AsImmutableArray(local), [.. resets], [.. reads]);
        if (!header.Reads.IsEmpty) _outputs[t] = new PendingOutput(header, _outputSize);
        if (_recordCounts) _recordedHeaders[t] = header;
        var input = new StepInput(header, ImmutableCollectionsMarshal.AsImmutableArray(values));
        Send(input);
        if (!_recovery.Enabled) return;
        _journal.Add(input);
        if (_point is { } p && t - p.Step >= _recovery.SnapshotInterval && _boundary?.Message is not TakeSnapshot { WithCounters: true })
        {
            _pointDue = true;
            NextBoundary();
        }
    }

    private void Send(StepInput input)
    {
        foreach (var core in _fedByInput) core.Tell(input);
        if (!_needStart.IsEmpty)
        {
            var start = new StepStart(input.Header);
            foreach (var core in _needStart) core.Tell(start);
        }
    }

    private void OnOutput(OutputActivity a)
    {
        if (!_outputs.TryGetValue(a.Step, out var o)) return;
        int reads = o.Header.Reads.Length;
        for (int r = 0; r < reads; r++)
            a.Values.AsSpan(r * a.Count, a.Count).CopyTo(o.Values.AsSpan(r * _outputSize + a.Start, a.Count));
        o.Units += a.Count;
        if (o.Units < _outputSize) return;
        _outputs.Remove(a.Step);
        for (int r = 0; r < reads; r++)
        {
            int k = o.Header.Reads[r];
            var slot = _slots[o.Header.Slots[k]];
            slot.Stream!.OutputWriter.TryWrite(new StreamOutput(o.Header.LocalSteps[k], [.. o.Values.AsSpan(r * _outputSize, _outputSize)]));
            slot.PendingReads--;
        }
        CloseFinished();
    }

    /// <summary>Frees the slots of streams whose input is complete and taken and whose outputs are all out; waiting opens get them.</summary>
    private void CloseFinished()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            // The input channel completes once the stream is complete and every pushed step has been taken.
            if (s.Stream is not { } stream || s.PendingReads > 0 || !stream.Input.Completion.IsCompleted) continue;
            s.Stream = null;
            stream.Closed();
            // The stream took s.NextStep steps: its taps' watchers end once they have them all.
            foreach (var (id, tap) in _taps.Where(t => t.Value.Slot == i).ToList())
            {
                tap.Watcher.Tell(new TapEnd(s.NextStep));
                _taps.Remove(id);
            }
            if (_waiting.TryDequeue(out var w)) w.Opened.TrySetResult(Bind(i, _nextStreamId++, 0, w.Options));
        }
        CheckIdle();
    }

    private void CheckIdle()
    {
        if (_stopping && _idle is { } idle && _slots.All(s => s.Stream is null) && _waiting.Count == 0) idle.TrySetResult();
    }

    /// <summary>A management phase: hold the mesh at the boundary after the last fed step, ask every core, resume when all have answered.</summary>
    private void OnAtBoundary(AtBoundary b)
    {
        if (_failure is { } f) { b.Fail(f); return; }
        _boundaryQueue.AddLast(b);
        NextBoundary();
    }

    private void NextBoundary()
    {
        if (_boundary is not null || !_started || _suspended) return;
        AtBoundary next;
        if (_pointDue)
        {
            _pointDue = false;
            next = new AtBoundary(step => new TakeSnapshot(step, WithCounters: true), OnPoint, _ => { });
        }
        else if (_boundaryQueue.First is { } first)
        {
            _boundaryQueue.RemoveFirst();
            next = first.Value;
        }
        else return;
        long at = _protocol.Hold();
        var request = next.Make(at);
        _boundary = new Boundary(at, _coreCount, next, request);
        foreach (var core in _cores) core.Tell(request);
    }

    /// <summary>A recovery point is complete: the journal starts afresh after it, and a recovery waiting for it is over.</summary>
    private void OnPoint(BoundaryAnswers a)
    {
        var taken = a.Answers.Cast<CoreSnapshotTaken>().ToArray();
        _point = new RecoveryPoint(a.Step, [.. taken.Select(t => t.State)], [.. taken.Select(t => t.Counters!)]);
        _journal.RemoveAll(i => i.Header.Step <= a.Step);
        if (_finishing is { ReplayEnd: { } end } f && a.Step >= end)
        {
            _log.Add(f.Complete());
            _finishing = null;
        }
    }

    /// <summary>
    /// Deployer → driver, a node is lost: stop feeding and give back the last recovery point. A management phase under
    /// way is abandoned: a recovery point is taken again later, a caller's request runs again after the recovery.
    /// </summary>
    private void OnSuspend()
    {
        if (_failure is { } f) return;
        if (!_suspended)
        {
            _suspended = true;
            if (_boundary is { } b)
            {
                _boundary = null;
                _protocol.Release();
                if (b.Message is not TakeSnapshot { WithCounters: true }) _boundaryQueue.AddFirst(b.Request);
            }
            _protocol.Hold();
        }
        // Before the first point is complete the cores start again as they were deployed, and the whole journal is replayed.
        Sender.Tell(new Suspended(_point, _protocol.NextStep - 1));
    }

    /// <summary>
    /// Deployer → driver: every core is hosted again from the recovery point and wired. The mesh rolls back to the point,
    /// the journal is fed again, step for step, then the streams go on. Outputs already handed to their streams are not
    /// handed again (each mesh step's outputs are handed once, whole); partial ones start over.
    /// </summary>
    private void OnResumeFromPoint(ResumeFromPoint r)
    {
        if (_failure is not null || !_suspended) return;
        Wire(r.Start);
        long at = r.Recovery.FromStep;
        _protocol.RollBack(at);
        _protocol.Release();
        _suspended = false;
        _replay.Clear();
        foreach (var input in _journal) _replay.Enqueue(input);
        foreach (var o in _outputs.Values) o.Units = 0;
        if (_recordCounts) _recorded.RemoveAll(c => c.Step > at);
        r.Recovery.ReplayedSteps = _replay.Count;
        _finishing = r.Recovery;
        if (_replay.Count == 0)
        {
            r.Recovery.ReplayEnd = at;
            _log.Add(r.Recovery.Complete());
            _finishing = null;
        }
        // The taps go on from the new cores: their watchers take each step once.
        foreach (var (on, population) in _tapOns.Values)
            foreach (var k in CoresOf(population)) _cores[k].Tell(on);
        NextBoundary();
        Feed();
    }

    private void Answer(int core, long step, object answer)
    {
        if (_boundary is not { } b || b.Step != step || b.Answers[core] is not null) return;
        b.Answers[core] = answer;
        if (++b.Count < _coreCount) return;
        _boundary = null;
        _protocol.Release();
        try { b.Request.Done(new BoundaryAnswers(b.Step, [.. b.Answers!], Positions())); }
        catch (Exception e) { b.Request.Fail(e); }   // the request's own failure: the mesh goes on
        NextBoundary();
        Feed();
    }

    private void Fail(Exception error)
    {
        if (_failure is not null) return;
        _failure = error;
        foreach (var s in _slots) s.Stream?.Failed(error);
        while (_waiting.TryDequeue(out var w)) w.Opened.TrySetException(new StreamFailedException($"the mesh failed: {error.Message}", error));
        _boundary?.Request.Fail(error);
        foreach (var q in _boundaryQueue) q.Fail(error);
        _boundaryQueue.Clear();
        _idle?.TrySetException(error);
        foreach (var (_, tap) in _taps) tap.Watcher.Tell(new TapFailed(error));
        _taps.Clear();
    }

    protected override void PostStop() => Fail(new InvalidOperationException("the mesh deployment stopped"));

    /// <summary>The stream positions of the occupied slots, for a snapshot.</summary>
    internal ImmutableArray<StreamPosition> Positions() =>
        [.. _slots.Select((s, i) => s.Stream is { } stream ? new StreamPosition(stream.Id, i, s.NextStep) : s.Parked).OfType<StreamPosition>()];
}

/// <summary>Deployment → driver: the cores are wired; feed these.</summary>
internal sealed record DriverStart(ImmutableArray<IActorRef> Cores, ImmutableArray<IActorRef> FedByInput, ImmutableArray<IActorRef> NeedStart, ImmutableArray<int> CorePopulations);

/// <summary>Open a stream in a free slot (local only: carries its answer).</summary>
internal sealed record OpenStream(StreamOptions Options, TaskCompletionSource<MeshStream> Opened);

/// <summary>Bind a restored stream again.</summary>
internal sealed record ResumeStream(StreamPosition Position, StreamOptions Options, TaskCompletionSource<MeshStream> Opened);

/// <summary>Run a request at the next step boundary: <paramref name="Make"/> builds the message to every core for the boundary step, <paramref name="Done"/> gets the cores' answers in core order.</summary>
internal sealed record AtBoundary(Func<long, object> Make, Action<BoundaryAnswers> Done, Action<Exception> Fail);

/// <summary>What every core answered at the boundary after mesh step <paramref name="Step"/>, in core order, and where the streams stood.</summary>
internal sealed record BoundaryAnswers(long Step, ImmutableArray<object> Answers, ImmutableArray<StreamPosition> Streams);

/// <summary>Hand over the recorded counts (and the headers of their steps) and forget them.</summary>
internal sealed record TakeRecordedCounts(TaskCompletionSource<(ImmutableArray<CoreCounts> Counts, ImmutableDictionary<long, StepHeader> Headers)> Done);

/// <summary>Take no new streams; complete <paramref name="Done"/> once every open stream has closed.</summary>
internal sealed record StopWhenIdle(TaskCompletionSource Done);

/// <summary>The deployment failed (a core, a node): every stream ends with this error.</summary>
internal sealed record DriverFailed(Exception Error);

/// <summary>Deployer → driver: a node is lost; stop feeding and answer <see cref="Suspended"/>.</summary>
internal sealed record Suspend
{
    public static readonly Suspend Instance = new();
}

/// <summary>Driver → deployer: the mesh is held; restart every core from <paramref name="Point"/>, or as deployed when null (the last step fed was <paramref name="LastFed"/>).</summary>
internal sealed record Suspended(RecoveryPoint? Point, long LastFed);

/// <summary>Deployer → driver: the cores of the new epoch, every one restored from the recovery point and wired; replay and go on.</summary>
internal sealed record ResumeFromPoint(DriverStart Start, PendingRecovery Recovery);

/// <summary>A recovery under way, completed by the driver once the replay is computed (the next recovery point).</summary>
internal sealed class PendingRecovery(ImmutableArray<LostNode> lost, long fromStep, ImmutableArray<int> moved, ImmutableArray<Address> nodes,
    DateTimeOffset detectedAt, TimeSpan replacement, TimeSpan restore)
{
    private readonly System.Diagnostics.Stopwatch _replay = System.Diagnostics.Stopwatch.StartNew();

    public long FromStep => fromStep;
    public long ReplayedSteps;
    public long? ReplayEnd;

    public MeshRecovery Complete() => new(lost, fromStep, ReplayedSteps, moved, nodes, detectedAt, replacement, restore, _replay.Elapsed);
}
