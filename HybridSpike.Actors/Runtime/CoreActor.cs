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
    private readonly Dictionary<(int Source, long Step), Arrival> _arrivals = [];
    private readonly Dictionary<long, StepHeader> _headers = [];
    private readonly int[] _sources;                           // distinct sources (population index, -1 for the input)
    private readonly Dictionary<int, int> _sourceSizes;
    private readonly Dictionary<int, int> _sourceCores;
    private readonly CoreTrafficBins _traffic = new();
    private readonly bool _hasOneStep;                         // some input is read a step late (so arrivals wait for the next step)
    private readonly int[] _doneAfterCompute;                  // sources whose arrivals no one-step connection reads: let go after the step
    private readonly Dictionary<int, Stack<Arrival>> _spare = []; // per source: arrivals of finished steps, reused
    private long _step;                                        // the next mesh step to compute
    private long _deliveredThrough = -1;                       // one-step payloads of steps up to this one are in the state
    private ImmutableArray<IActorRef> _destinations = [];
    private ImmutableArray<int> _destinationCores = [];
    private bool _wired;
    private (long Step, object Request)? _atBoundary;           // a snapshot or a collection asked for at the boundary after this step

    private sealed class Arrival
    {
        public long[] Values = [];
        public int Pieces;
    }

    public CoreActor(CoreSetup setup, Population population)
    {
        _setup = setup;
        _plan = setup.Plan(population);
        _state = setup.Restore is { } snapshot ? CoreState.FromSnapshot(_plan, snapshot) : CoreState.Initial(_plan, setup.Slots);
        _scratch = new StepScratch(_plan);
        _arrivalsNow = new long[]?[setup.Incoming.Length];
        _sourceSizes = setup.Incoming.GroupBy(c => c.Source).ToDictionary(g => g.Key, g => g.First().SourceSize);
        _sourceCores = setup.Incoming.GroupBy(c => c.Source).ToDictionary(g => g.Key, g => g.First().SourceCores);
        _sources = [.. _sourceSizes.Keys];
        _hasOneStep = setup.Incoming.Any(c => c.OneStep);
        _doneAfterCompute = [.. _sources.Where(src => !setup.Incoming.Any(c => c.OneStep && c.Source == src))];
        foreach (var source in _sources) _spare[source] = new Stack<Arrival>();
        // A core computes only once wired (another core may run ahead and reach it first).
        Receive<Wire>(w => { _destinations = w.Destinations; _destinationCores = w.DestinationCores; _wired = true; Advance(); });
        Receive<Payloads>(OnPayloads);
        Receive<StepInput>(OnInput);
        Receive<StepStart>(s => { Header(s.Header); Advance(); });
        Receive<TakeSnapshot>(s => { _atBoundary = (s.Step, s); Advance(); });
        Receive<CollectTraffic>(c => { _atBoundary = (c.Step, c); Advance(); });
    }

    private void Header(StepHeader h) => _headers.TryAdd(h.Step, h);

    private void OnPayloads(Payloads p)
    {
        Header(p.Header);
        int size = _sourceSizes[p.Population], active = p.Header.Active;
        var a = ArrivalFor(p.Population, p.Header.Step, active * size);
        var values = p.Values.AsSpan();
        for (int k = 0; k < active; k++)
        {
            var piece = values.Slice(k * p.Count, p.Count);
            piece.CopyTo(a.Values.AsSpan(k * size + p.Start, p.Count));
            _traffic.Received(p.Header.LocalSteps[k], piece);     // by the stream step that sent them
        }
        a.Pieces++;
        Advance();
    }

    private void OnInput(StepInput input)
    {
        Header(input.Header);
        var a = ArrivalFor(-1, input.Header.Step, input.Values.Length);
        input.Values.CopyTo(a.Values);
        a.Pieces++;
        Advance();
    }

    private Arrival ArrivalFor(int source, long step, int length)
    {
        if (!_arrivals.TryGetValue((source, step), out var a))
        {
            // Every piece of a complete arrival overwrites its part, so a reused buffer needs no clearing.
            a = _spare[source].TryPop(out var reused) && reused.Values.Length == length ? reused : new Arrival { Values = new long[length] };
            a.Pieces = 0;
            _arrivals[(source, step)] = a;
        }
        return a;
    }

    private void Release(int source, long step)
    {
        if (_arrivals.Remove((source, step), out var a)) _spare[source].Push(a);
    }

    private bool Complete(int source, long step) =>
        _arrivals.TryGetValue((source, step), out var a) && a.Pieces >= _sourceCores[source];

    private bool Ready(long step)
    {
        if (!_headers.ContainsKey(step)) return false;
        foreach (var c in _setup.Incoming)
        {
            long needed = c.OneStep ? step - 1 : step;
            if (needed < 0 || (c.OneStep && needed <= _deliveredThrough)) continue;
            if (!Complete(c.Source, needed)) return false;
        }
        return true;
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
        var slots = _headers[step].Slots.AsSpan();
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
        {
            var c = _setup.Incoming[ci];
            if (c.OneStep) CoreStep.Deliver(_plan, _state, ci, slots, _arrivals[(c.Source, step)].Values);
        }
        _deliveredThrough = step;
        foreach (var source in _sources) Release(source, step);
        _headers.Remove(step);
    }

    private void Compute(long t)
    {
        DeliverRecurrent(t - 1);
        var h = _headers[t];
        foreach (var slot in h.Resets) _state.Reset(slot);
        int n = _setup.Count, active = h.Active;
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
        {
            var c = _setup.Incoming[ci];
            _arrivalsNow[ci] = c.OneStep ? null : _arrivals[(c.Source, t)].Values;
        }
        var payloads = new long[active * n];
        var counts = _setup.RecordCounts && _plan.Population.IsQuantized ? new int[active * n] : null;
        var activity = _setup.IsOutput && !h.Reads.IsEmpty ? new double[active * n] : null;
        var perSlot = _traffic.PerSlot(active);
        CoreStep.Run(_plan, _state, h.Slots.AsSpan(), _arrivalsNow, payloads, counts, activity, _scratch, perSlot);
        for (int k = 0; k < active; k++) _traffic.Stepped(h.LocalSteps[k], perSlot[k], n);
        // Same-step arrivals of t are read by no later step; one-step ones of t wait for t + 1 (or a snapshot).
        foreach (var source in _doneAfterCompute) Release(source, t);
        if (!_hasOneStep) { _headers.Remove(t); _deliveredThrough = t; }
        // The arrays are handed over, not copied: nothing here writes them after this point.
        var message = new Payloads(h, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(payloads));
        foreach (var d in _destinations) d.Tell(message);
        if (counts is not null) _setup.Driver.Tell(new CoreCounts(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(counts)));
        if (activity is not null)
        {
            var read = new double[h.Reads.Length * n];
            for (int r = 0; r < h.Reads.Length; r++) activity.AsSpan(h.Reads[r] * n, n).CopyTo(read.AsSpan(r * n, n));
            _setup.Driver.Tell(new OutputActivity(t, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(read)));
        }
    }

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
            foreach (var c in _setup.Incoming)
                if (c.OneStep && !Complete(c.Source, at)) return;
            DeliverRecurrent(at);
        }
        _atBoundary = null;
        _setup.Driver.Tell(b.Request switch
        {
            TakeSnapshot => new CoreSnapshotTaken(_setup.Core, at, _state.Snapshot()),
            CollectTraffic c => _traffic.Collect(_setup.Core, c.Steps, _destinationCores),
            _ => throw new InvalidOperationException($"unknown boundary request {b.Request.GetType().Name}"),
        });
    }
}

/// <summary>
/// A core's traffic counted by stream step (step k of every stream adds to bin k), from one collection to the next:
/// what <see cref="Mapping.Telemetry.CoreTraffic"/> reports.
/// </summary>
internal sealed class CoreTrafficBins
{
    private readonly List<long> _synaptic = [], _updates = [], _spikes = [], _sent = [], _received = [];
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
            _synaptic.Add(0); _updates.Add(0); _spikes.Add(0); _sent.Add(0); _received.Add(0);
        }
        return bin;
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
        var sent = Take(_sent);
        var traffic = new Mapping.Telemetry.CoreTraffic(core, Take(_synaptic), Take(_updates), Take(_spikes), Take(_received),
            destinations.ToImmutableDictionary(d => d, _ => sent));
        return traffic;
    }
}
