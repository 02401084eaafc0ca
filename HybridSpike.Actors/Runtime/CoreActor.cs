using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// One neuromorphic core: a piece of one population, its incoming fixed-point weights and its units' state
/// for every stream slot (<see cref="CoreState"/>). It stays up for the life of its deployment and computes
/// mesh step t as soon as it holds the step's header, every same-step source's payloads of t and every
/// one-step source's payloads of t−1 (docs/mesh.md, "The step protocol"):
/// <list type="number">
/// <item>deliver: the one-step sources' payloads of t−1 go into the state (<see cref="CoreStep.Deliver"/>);</item>
/// <item>manage: the slots the header resets start over (<see cref="CoreState.Reset"/>);</item>
/// <item>compute: <see cref="CoreStep.Run"/> steps the header's slots, the same function the fixed-point golden
/// simulator runs, and the payloads go to every destination core; an output core sends the read slots' activities
/// to the driver.</item>
/// </list>
/// The actor gathers arrivals and sends results; it holds no arithmetic of its own. Integer sums make the result
/// independent of the order in which messages arrive.
/// </summary>
internal sealed class CoreActor : ReceiveActor
{
    private readonly CoreSetup _setup;
    private readonly CorePlan _plan;
    private readonly CoreState _state;
    private readonly StepScratch _scratch;
    private readonly long[]?[] _arrivalsNow;                    // per incoming connection: this step's same-step payloads
    private readonly ArrivalRing _arrivals;
    private readonly Dictionary<int, int> _sourceIndex;        // population index (-1: the input) → source index
    private readonly int[] _connectionSource;                  // per incoming connection: its source index
    private readonly CoreTrafficBins _traffic = new();
    private long _step;                                        // the next mesh step to compute
    private long _deliveredThrough = -1;                       // one-step payloads of steps up to this one are in the state
    private ImmutableArray<IActorRef> _destinations = [];
    private ImmutableArray<int> _destinationCores = [];
    private Mapping.Routing.Tables.PacketLookup? _lookup;       // table routing: each step's packet is looked up, chip by chip
    private int[] _reached = [];                               // the destination slots the lookup reached
    private bool _wired;
    private (long Step, object Request)? _atBoundary;           // a snapshot or a collection asked for at the boundary after this step
    private readonly long[] _generation;                       // per slot: the resets computed, so each stream of the slot has its number
    private readonly long[] _lastLocal;                        // per slot: the stream's own step last computed (−1: none since the reset)
    private readonly List<TapOn> _taps = [];                   // the spike taps on this core (docs/mesh.md, "Watching a population")

    public CoreActor(CoreSetup setup, Population population)
    {
        _setup = setup;
        _plan = setup.Plan(population);
        _state = setup.Restore is { } snapshot ? CoreState.FromSnapshot(_plan, snapshot) : CoreState.Initial(_plan, setup.Slots);
        _scratch = new StepScratch(_plan);
        _generation = new long[setup.Slots];
        _lastLocal = new long[setup.Slots];
        Array.Fill(_lastLocal, -1);
        // A core restored at a recovery point starts where the one it replaces stood: the step after the point, with
        // that step's recurrent payloads already in the restored state, and the same counters.
        _step = setup.FirstStep;
        _deliveredThrough = setup.FirstStep - 1;
        if (setup.Counters is { } counters)
        {
            if (counters.Generations.Length != setup.Slots || counters.LastLocal.Length != setup.Slots)
                throw new ArgumentException($"core {setup.Core}: counters for {counters.Generations.Length} slots, the core has {setup.Slots}");
            counters.Generations.CopyTo(_generation);
            counters.LastLocal.CopyTo(_lastLocal);
            _traffic.Restore(counters.Traffic);
        }
        _arrivalsNow = new long[]?[setup.Incoming.Length];
        var sources = setup.Incoming.Select(c => c.Source).Distinct().ToArray();
        _sourceIndex = sources.Select((population, i) => (population, i)).ToDictionary(x => x.population, x => x.i);
        _connectionSource = [.. setup.Incoming.Select(c => _sourceIndex[c.Source])];
        _arrivals = new ArrivalRing(
            [.. sources.Select(src => setup.Incoming.First(c => c.Source == src).SourceSize)],
            [.. sources.Select(src => setup.Incoming.First(c => c.Source == src).SourceCores)],
            [.. sources.Select(src => setup.Incoming.Any(c => c.Source == src && !c.OneStep))],
            [.. sources.Select(src => setup.Incoming.Any(c => c.Source == src && c.OneStep))]);
        // A core computes only once wired (another core may run ahead and reach it first).
        Receive<Wire>(w =>
        {
            _destinations = w.Destinations; _destinationCores = w.DestinationCores; _lookup = w.Lookup; _reached = new int[w.Destinations.Length];
            _wired = true; Advance();
        });
        Receive<Payloads>(OnPayloads);
        Receive<StepInput>(OnInput);
        Receive<StepStart>(s => { _arrivals.At(s.Header.Step).Header ??= s.Header; Advance(); });
        Receive<TakeSnapshot>(s => { _atBoundary = (s.Step, s); Advance(); });
        Receive<CollectTraffic>(c => { _atBoundary = (c.Step, c); Advance(); });
        Receive<TapOn>(OnTap);
        Receive<TapOff>(off => _taps.RemoveAll(t => t.Tap == off.Tap));
    }

    /// <summary>
    /// A tap from the stream's step <see cref="TapOn.From"/>, or from the step after the last this core computed if the
    /// stream is further on here; none if the slot has moved on to another stream. Tells the watcher where it starts.
    /// </summary>
    private void OnTap(TapOn tap)
    {
        long generation = (uint)tap.Slot < (uint)_generation.Length ? _generation[tap.Slot] : long.MaxValue;
        long first = generation == tap.Generation ? Math.Max(tap.From, _lastLocal[tap.Slot] + 1)
            : generation < tap.Generation ? tap.From    // the stream's first step has not reached this core yet
            : long.MaxValue;                             // the stream is over here
        var watching = tap with { From = first };
        if (first != long.MaxValue && _plan.Population.IsQuantized) _taps.Add(watching);
        tap.Watcher.Tell(new TapReady(tap.Tap, _setup.Core, _plan.Population.IsQuantized ? first : long.MaxValue));
    }

    private void OnPayloads(Payloads p)
    {
        var h = p.Header;
        var e = _arrivals.At(h.Step);
        e.Header ??= h;
        int source = _sourceIndex[p.Population], size = _arrivals.SourceSizes[source], active = h.Active;
        var target = e.Buffer(source, active * size).AsSpan();
        var values = p.Values.AsSpan();
        for (int k = 0; k < active; k++)
        {
            var piece = values.Slice(k * p.Count, p.Count);
            piece.CopyTo(target.Slice(k * size + p.Start, p.Count));
            _traffic.Received(h.LocalSteps[k], piece);     // by the stream step that sent them
        }
        e.Arrived(source);
        Advance();
    }

    private void OnInput(StepInput input)
    {
        var e = _arrivals.At(input.Header.Step);
        e.Header ??= input.Header;
        int source = _sourceIndex[-1];
        input.Values.AsSpan().CopyTo(e.Buffer(source, input.Values.Length));
        e.Arrived(source);
        Advance();
    }

    /// <summary>Step <paramref name="step"/> can be computed: its header and same-step payloads are in, and the one-step payloads of the step before.</summary>
    private bool Ready(long step)
    {
        if (_arrivals.Find(step) is not { Header: not null, SameStepMissing: 0 }) return false;
        return step == 0 || step - 1 <= _deliveredThrough || _arrivals.Find(step - 1) is { OneStepMissing: 0 };
    }

    private void Advance()
    {
        if (!_wired) return;
        while (Ready(_step))
        {
            Compute(_step);
            _step++;
            if (_step % _setup.ProgressInterval == 0) _setup.Driver.Tell(new Progress(_setup.Core, _step));
        }
        TryBoundary();
    }

    /// <summary>Puts the one-step sources' payloads of <paramref name="step"/> into the state, once, and lets go of that step's arrivals.</summary>
    private void DeliverRecurrent(long step)
    {
        if (step < 0 || step <= _deliveredThrough) return;
        var e = _arrivals.Find(step)!;
        var slots = e.Header!.Slots.AsSpan();
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
            if (_setup.Incoming[ci].OneStep) CoreStep.Deliver(_plan, _state, ci, slots, e.Values[_connectionSource[ci]]);
        _deliveredThrough = step;
        _arrivals.Free(e);
    }

    private void Compute(long t)
    {
        DeliverRecurrent(t - 1);
        var e = _arrivals.Find(t)!;
        var h = e.Header!;
        foreach (var slot in h.Resets)
        {
            _state.Reset(slot);
            _generation[slot]++;
            _lastLocal[slot] = -1;
        }
        // A reset starts another stream in its slot: a tap of the one before ends.
        if (_taps.Count > 0 && h.Resets.Length > 0) _taps.RemoveAll(t => t.Generation < _generation[t.Slot]);
        int n = _setup.Count, active = h.Active;
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
            _arrivalsNow[ci] = _setup.Incoming[ci].OneStep ? null : e.Values[_connectionSource[ci]];
        var payloads = new long[active * n];
        var counts = (_setup.RecordCounts || _taps.Count > 0) && _plan.Population.IsQuantized ? new int[active * n] : null;
        var activity = _setup.IsOutput && !h.Reads.IsEmpty ? new double[active * n] : null;
        var perSlot = _traffic.PerSlot(active);
        CoreStep.Run(_plan, _state, h.Slots.AsSpan(), _arrivalsNow, payloads, counts, activity, _scratch, perSlot);
        for (int k = 0; k < active; k++)
        {
            _traffic.Stepped(h.LocalSteps[k], perSlot[k], n);
            _lastLocal[h.Slots[k]] = h.LocalSteps[k];
        }
        // Same-step arrivals of t are read by no later step; one-step ones of t wait for t + 1 (or a snapshot).
        if (!_arrivals.HasOneStep) { _deliveredThrough = t; _arrivals.Free(e); }
        // The arrays are handed over, not copied: nothing here writes them after this point.
        var message = new Payloads(h, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(payloads));
        if (_lookup is { } lookup)
        {
            // As SpiNNaker does: the packet goes where the routers' tables send it (a core's units share one entry, so one lookup serves them).
            int reached = lookup.Route(_reached);
            for (int i = 0; i < reached; i++) _destinations[_reached[i]].Tell(message);
        }
        else foreach (var d in _destinations) d.Tell(message);
        if (counts is not null && _taps.Count > 0) SendTaps(h, counts, n);
        if (counts is not null && _setup.RecordCounts) _setup.Driver.Tell(new CoreCounts(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(counts)));
        if (activity is not null)
        {
            var read = new double[h.Reads.Length * n];
            for (int r = 0; r < h.Reads.Length; r++) activity.AsSpan(h.Reads[r] * n, n).CopyTo(read.AsSpan(r * n, n));
            _setup.Driver.Tell(new OutputActivity(t, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(read)));
        }
    }

    /// <summary>Each tap whose slot stepped (its stream, from its first step) gets this core's counts of the slot.</summary>
    private void SendTaps(StepHeader h, int[] counts, int n)
    {
        foreach (var tap in _taps)
        {
            int k = h.Slots.IndexOf(tap.Slot);
            if (k < 0 || _generation[tap.Slot] != tap.Generation || h.LocalSteps[k] < tap.From) continue;
            tap.Watcher.Tell(new TapCounts(tap.Tap, h.LocalSteps[k], _setup.Start, n, [.. counts.AsSpan(k * n, n)]));
        }
    }

    private CoreCounters Counters() => new([.. _generation], [.. _lastLocal], _traffic.Export());

    /// <summary>
    /// A request at the boundary after step T (a snapshot, a telemetry collection): once T is computed and its recurrent
    /// payloads are all in, they are delivered and the answer goes to the driver. The driver feeds no later step meanwhile.
    /// </summary>
    private void TryBoundary()
    {
        if (_atBoundary is not { } b || !_wired || _step <= b.Step) return;
        long at = b.Step;
        if (at >= 0 && at > _deliveredThrough)
        {
            if (_arrivals.Find(at) is not { OneStepMissing: 0 }) return;
            DeliverRecurrent(at);
        }
        _atBoundary = null;
        _setup.Driver.Tell(b.Request switch
        {
            TakeSnapshot t => new CoreSnapshotTaken(_setup.Core, at, _state.Snapshot(), t.WithCounters ? Counters() : null),
            CollectTraffic c => _traffic.Collect(_setup.Core, c.Steps, _destinationCores),
            _ => throw new InvalidOperationException($"unknown boundary request {b.Request.GetType().Name}"),
        });
    }
}

/// <summary>
/// A core's arrivals by mesh step, in a ring indexed by step: the live steps of a core lie within the protocol's window
/// (the driver feeds no step more than a window ahead of the slowest core), so a step's entry is found without hashing,
/// and each entry counts its incomplete sources, so that readiness is a comparison, not a scan of the connections.
/// Entries and their buffers are reused once their step is done with.
/// </summary>
internal sealed class ArrivalRing
{
    internal sealed class Entry(int sources)
    {
        public long Step = -1;                                  // −1: free
        public StepHeader? Header;
        public readonly long[]?[] Values = new long[]?[sources];  // per source: [k, unit] for the header's slots
        public readonly int[] Pieces = new int[sources];
        public int SameStepMissing, OneStepMissing;             // sources read this step / the next step not yet complete
        internal ArrivalRing Ring = null!;

        /// <summary>The buffer of <paramref name="source"/>'s payloads; every piece of a complete arrival overwrites its part, so a reused one needs no clearing.</summary>
        public long[] Buffer(int source, int length)
        {
            var b = Values[source];
            if (b is null || b.Length != length) Values[source] = b = new long[length];
            return b;
        }

        /// <summary>One piece (one source core's payloads) of <paramref name="source"/> is in.</summary>
        public void Arrived(int source)
        {
            if (++Pieces[source] != Ring.SourceCores[source]) return;
            if (Ring.ReadSameStep[source]) SameStepMissing--;
            if (Ring.ReadOneStep[source]) OneStepMissing--;
        }
    }

    private Entry?[] _entries = new Entry?[64];
    private readonly Stack<Entry> _free = [];
    private readonly int _sameStepSources, _oneStepSources;

    public ArrivalRing(int[] sourceSizes, int[] sourceCores, bool[] readSameStep, bool[] readOneStep)
    {
        SourceSizes = sourceSizes;
        SourceCores = sourceCores;
        ReadSameStep = readSameStep;
        ReadOneStep = readOneStep;
        _sameStepSources = readSameStep.Count(x => x);
        _oneStepSources = readOneStep.Count(x => x);
    }

    public int[] SourceSizes { get; }
    public int[] SourceCores { get; }
    public bool[] ReadSameStep { get; }
    public bool[] ReadOneStep { get; }

    /// <summary>Some source is read a step late (so a step's arrivals outlive its compute).</summary>
    public bool HasOneStep => _oneStepSources > 0;

    /// <summary>The entry of <paramref name="step"/>, or null if nothing of it has arrived.</summary>
    public Entry? Find(long step)
    {
        var e = _entries[step & (_entries.Length - 1)];
        return e is not null && e.Step == step ? e : null;
    }

    /// <summary>The entry of <paramref name="step"/>, begun if new.</summary>
    public Entry At(long step)
    {
        while (true)
        {
            ref var place = ref _entries[step & (_entries.Length - 1)];
            if (place is null)
            {
                place = _free.TryPop(out var reused) ? reused : new Entry(SourceSizes.Length) { Ring = this };
                place.Step = step;
                place.Header = null;
                Array.Clear(place.Pieces);
                place.SameStepMissing = _sameStepSources;
                place.OneStepMissing = _oneStepSources;
                return place;
            }
            if (place.Step == step) return place;
            Grow();     // another live step holds the place: more steps are in flight than the ring holds
        }
    }

    /// <summary>The step of <paramref name="e"/> is done with: its place and buffers go back for reuse.</summary>
    public void Free(Entry e)
    {
        ref var place = ref _entries[e.Step & (_entries.Length - 1)];
        if (ReferenceEquals(place, e)) place = null;
        e.Step = -1;
        e.Header = null;
        _free.Push(e);
    }

    private void Grow()
    {
        var old = _entries;
        _entries = new Entry?[old.Length * 2];
        foreach (var e in old)
            if (e is not null) _entries[e.Step & (_entries.Length - 1)] = e;
    }
}

/// <summary>
/// A core's traffic counted by stream step (step k of every stream adds to bin k), from one collection to the next:
/// what <see cref="Mapping.Telemetry.CoreTraffic"/> reports.
/// </summary>
internal sealed class CoreTrafficBins
{
    private readonly List<long> _synaptic = [], _updates = [], _spikes = [], _sent = [], _graded = [], _received = [];
    private StepCounts[] _perSlot = [];

    public Span<StepCounts> PerSlot(int active)
    {
        if (_perSlot.Length < active) _perSlot = new StepCounts[Math.Max(active, 2 * _perSlot.Length)];
        return _perSlot.AsSpan(0, active);
    }

    public void Stepped(long localStep, StepCounts counts, int units)
    {
        int bin = Bin(localStep);
        _synaptic[bin] += counts.SynapticEvents;
        _updates[bin] += units;
        _spikes[bin] += counts.Spikes;
        _sent[bin] += counts.NonzeroPayloads;    // per destination (each gets the same payloads)
        _graded[bin] += counts.GradedPayloads;   // of those, the ones that must carry their payload (not +1)
    }

    public void Received(long localStep, ReadOnlySpan<long> values)
    {
        long nonzero = 0;
        foreach (var v in values) if (v != 0) nonzero++;
        _received[Bin(localStep)] += nonzero;
    }

    /// <summary>Stream steps beyond this many share the last bin (a resident mesh runs without end; its telemetry must not grow without end).</summary>
    public const int MaxBins = 1 << 16;

    private int Bin(long localStep)
    {
        int bin = (int)Math.Min(localStep, MaxBins - 1);
        while (_synaptic.Count <= bin)
        {
            _synaptic.Add(0); _updates.Add(0); _spikes.Add(0); _sent.Add(0); _graded.Add(0); _received.Add(0);
        }
        return bin;
    }

    /// <summary>The bins counted so far, uncollected (a recovery point's <see cref="CoreCounters.Traffic"/>): synaptic events, updates, spikes, sent, graded, received.</summary>
    public ImmutableArray<ImmutableArray<long>> Export() =>
        [[.. _synaptic], [.. _updates], [.. _spikes], [.. _sent], [.. _graded], [.. _received]];

    /// <summary>Starts from bins <see cref="Export"/> gave (a core restored at a recovery point counts on from there).</summary>
    public void Restore(ImmutableArray<ImmutableArray<long>> bins)
    {
        var lists = new[] { _synaptic, _updates, _spikes, _sent, _graded, _received };
        if (bins.Length != lists.Length) throw new ArgumentException($"traffic counters: {bins.Length} kinds of bins, {lists.Length} expected");
        int length = bins[0].Length;
        if (length > MaxBins || bins.Any(b => b.Length != length)) throw new ArgumentException($"traffic counters: bins of unequal or excessive length");
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i].Clear();
            lists[i].AddRange(bins[i]);
        }
    }

    /// <summary>The bins so far as <paramref name="steps"/> steps (later ones folded into the last), and a fresh start.</summary>
    public Mapping.Telemetry.CoreTraffic Collect(int core, int steps, ImmutableArray<int> destinations)
    {
        ImmutableArray<long> Take(List<long> bins)
        {
            var a = new long[steps];
            for (int i = 0; i < bins.Count; i++) a[Math.Min(i, steps - 1)] += bins[i];
            bins.Clear();
            return ImmutableCollectionsMarshal.AsImmutableArray(a);
        }
        var (sent, graded) = (Take(_sent), Take(_graded));
        var traffic = new Mapping.Telemetry.CoreTraffic(core, Take(_synaptic), Take(_updates), Take(_spikes), Take(_received),
            destinations.ToImmutableDictionary(d => d, _ => sent), destinations.ToImmutableDictionary(d => d, _ => graded));
        return traffic;
    }
}
