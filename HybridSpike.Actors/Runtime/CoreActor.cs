using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// One neuromorphic core: a piece of one population, its incoming fixed-point weights and its
/// units' state for every stream. It computes step t as soon as it holds every source's payloads
/// that step needs (same-step sources at t, one-step sources at t−1), then sends its own payloads
/// of step t to every destination core. The arithmetic is the fixed-point simulator's
/// (Core/Reference/FixedPointSimulator.cs): integer sums per connection, combined in network order,
/// so the result does not depend on the order in which messages arrive.
/// </summary>
internal sealed class CoreActor : ReceiveActor
{
    private readonly CoreSetup _setup;
    private readonly Population _population;
    private readonly long[] _state;             // Q32 quantizer states [stream, unit]
    private readonly double[] _x;                // inputs of one stream's units
    private readonly double[] _fx;
    private readonly double[] _activity;         // one stream's activities (scratch)
    private readonly int[] _counts;
    private readonly long[] _sums;               // one connection's integer sums for one stream
    private readonly long[]?[] _sourceValues;    // per incoming connection: the payloads the current step reads
    private readonly Dictionary<(int Source, int Step), Arrival> _arrivals = [];
    private readonly int[] _sources;             // distinct sources (population index, -1 for the input)
    private readonly Dictionary<int, Stack<Arrival>> _spare = [];  // per source: arrivals of finished steps, reused
    private int _step;
    private readonly Dictionary<int, int> _sourceSizes; // source population -> its size, looked up per message
    private ImmutableArray<IActorRef> _destinations = [];
    private ImmutableArray<int> _destinationCores = [];
    private bool _wired;
    // Telemetry over the run.
    private long _synapticEvents, _neuronUpdates, _spikes, _packetsSent;
    // Per step (Telemetry.CoreTraffic): filled from the counters above once per step, no allocation per step.
    private readonly long[] _synapticPerStep, _updatesPerStep, _spikesPerStep, _sentPerStep, _receivedPerStep;

    private sealed class Arrival(int size)
    {
        public readonly long[] Values = new long[size];
        public int Pieces;
    }

    public CoreActor(CoreSetup setup, Population population)
    {
        _setup = setup;
        _population = population;
        _state = new long[setup.Streams * setup.Count];
        if (population.IsQuantized)
        {
            var v0 = population.InitialStates();
            for (int s = 0; s < setup.Streams; s++)
                for (int i = 0; i < setup.Count; i++) _state[s * setup.Count + i] = FixedPoint.InitialState(v0[setup.Start + i]);
        }
        _synapticPerStep = new long[setup.Steps];
        _updatesPerStep = new long[setup.Steps];
        _spikesPerStep = new long[setup.Steps];
        _sentPerStep = new long[setup.Steps];
        _receivedPerStep = new long[setup.Steps];
        _sourceSizes = setup.Incoming.GroupBy(c => c.Source).ToDictionary(g => g.Key, g => g.First().SourceSize);
        _sources = [.. _sourceSizes.Keys];
        foreach (var source in _sources) _spare[source] = new Stack<Arrival>();
        _x = new double[setup.Count];
        _fx = new double[setup.Count];
        _activity = new double[setup.Count];
        _counts = new int[setup.Count];
        _sums = new long[setup.Count];
        _sourceValues = new long[]?[setup.Incoming.Length];
        // A core computes only once wired (another core may run ahead and reach it first), and starts on its
        // wiring: a core that needs no message for its first steps (no incoming connection) gets no other.
        Receive<Wire>(w => { _destinations = w.Destinations; _destinationCores = w.DestinationCores; _wired = true; Advance(); });
        Receive<Payloads>(OnPayloads);
        Receive<InputPayloads>(OnInput);
    }

    /// <summary>A core reports its progress to the input every this many steps (a quarter of the input's window).</summary>
    internal const int ProgressEvery = InputActor.Window / 4;

    private void OnPayloads(Payloads p)
    {
        var size = _sourceSizes[p.Population];
        var a = ArrivalFor(p.Population, p.Step, size);
        var values = p.Values.AsSpan();
        for (int s = 0; s < _setup.Streams; s++) values.Slice(s * p.Count, p.Count).CopyTo(a.Values.AsSpan(s * size + p.Start, p.Count));
        a.Pieces++;
        long received = 0;
        foreach (var v in p.Values) if (v != 0) received++;
        _receivedPerStep[p.Step] += received;   // by the step that sent them
        Advance();
    }

    private void OnInput(InputPayloads input)
    {
        var a = ArrivalFor(-1, input.Step, input.Values.Length / _setup.Streams);
        input.Values.CopyTo(a.Values);
        a.Pieces++;
        Advance();
    }

    private Arrival ArrivalFor(int source, int step, int size)
    {
        if (!_arrivals.TryGetValue((source, step), out var a))
        {
            a = _spare.TryGetValue(source, out var spare) && spare.TryPop(out var reused) ? reused : new Arrival(_setup.Streams * size);
            _arrivals[(source, step)] = a;
        }
        return a;
    }

    /// <summary>After step t, no connection reads step t−1 again (same-step ones read t+1, one-step ones t): its arrivals are reused.</summary>
    private void Release(int t)
    {
        foreach (var source in _sources)
            if (_arrivals.Remove((source, t - 1), out var a))
            {
                a.Pieces = 0;
                _spare[source].Push(a);
            }
    }

    private bool Ready(int step)
    {
        foreach (var c in _setup.Incoming)
        {
            int needed = c.OneStep ? step - 1 : step;
            if (needed < 0) continue;
            if (!_arrivals.TryGetValue((c.Source, needed), out var a) || a.Pieces < c.SourceCores) return false;
        }
        return true;
    }

    private void Advance()
    {
        if (!_wired) return;
        while (_step < _setup.Steps && Ready(_step))
        {
            long synapticBefore = _synapticEvents, updatesBefore = _neuronUpdates, spikesBefore = _spikes, sentBefore = _packetsSent;
            Compute(_step);
            _synapticPerStep[_step] = _synapticEvents - synapticBefore;
            _updatesPerStep[_step] = _neuronUpdates - updatesBefore;
            _spikesPerStep[_step] = _spikes - spikesBefore;
            _sentPerStep[_step] = _packetsSent - sentBefore;
            Release(_step);
            _step++;
            if (_step % ProgressEvery == 0 && _step < _setup.Steps) _setup.Input.Tell(new Progress(_setup.Core, _step));
        }
        if (_step == _setup.Steps && LastStepReceived())
        {
            // Every destination gets the same payloads: one per-step array of packets per destination, shared.
            var perDestination = ImmutableArray.Create(_sentPerStep);
            _setup.Collector.Tell(new Mapping.Telemetry.CoreTraffic(_setup.Core, ImmutableArray.Create(_synapticPerStep), ImmutableArray.Create(_updatesPerStep),
                ImmutableArray.Create(_spikesPerStep), ImmutableArray.Create(_receivedPerStep),
                _destinationCores.ToImmutableDictionary(d => d, _ => perDestination)));
            Context.Stop(Self);
        }
    }

    /// <summary>
    /// The last step's payloads along one-step connections are read by no step of this run; the core
    /// waits for them anyway before it reports, so that its packets received count every packet sent to it.
    /// </summary>
    private bool LastStepReceived()
    {
        foreach (var c in _setup.Incoming)
            if (c.OneStep && (!_arrivals.TryGetValue((c.Source, _setup.Steps - 1), out var a) || a.Pieces < c.SourceCores)) return false;
        return true;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Compute(int t)
    {
        int n = _setup.Count, streams = _setup.Streams;
        // Each connection's source payloads of the step it reads, looked up once for all streams.
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
        {
            var c = _setup.Incoming[ci];
            int step = c.OneStep ? t - 1 : t;
            _sourceValues[ci] = step < 0 ? null : _arrivals[(c.Source, step)].Values;
        }
        var payloads = new long[streams * n];
        var counts = _setup.RecordCounts && _population.IsQuantized ? new int[streams * n] : null;
        var activity = _setup.IsOutput && t == _setup.Steps - 1 ? new double[streams * n] : null;
        for (int s = 0; s < streams; s++)
        {
            if (_population.Bias.IsDefaultOrEmpty) Array.Clear(_x);
            else for (int i = 0; i < n; i++) _x[i] = _population.Bias[_setup.Start + i];
            for (int ci = 0; ci < _setup.Incoming.Length; ci++)
            {
                if (_sourceValues[ci] is not { } values) continue; // a one-step connection at t = 0
                var c = _setup.Incoming[ci];
                var src = values.AsSpan(s * c.SourceSize, c.SourceSize);
                _synapticEvents += c.Weights.Accumulate(src, _sums);
                FixedPoint.AddContributions(_sums, c.RowScales, c.SourceOmega, _x);
            }
            var streamActivity = _activity.AsSpan();
            FixedPoint.UnitsStep(_population.Activation, _population.Omega, _x, _fx, _state.AsSpan(s * n, n),
                payloads.AsSpan(s * n, n), streamActivity, _counts);
            if (counts is not null) _counts.CopyTo(counts, s * n);
            if (activity is not null) streamActivity.CopyTo(activity.AsSpan(s * n, n));
        }
        _neuronUpdates += (long)streams * n;
        long nonzero = 0;
        foreach (var v in payloads) if (v != 0) nonzero++;
        if (_population.IsQuantized) foreach (var v in payloads) _spikes += Math.Abs(v);
        _packetsSent += nonzero;                       // per destination (each gets the same payloads)
        // The arrays are handed over, not copied: nothing here writes them after this point.
        var message = new Payloads(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(payloads));
        foreach (var d in _destinations) d.Tell(message);
        if (counts is not null) _setup.Collector.Tell(new CoreCounts(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(counts)));
        if (activity is not null) _setup.Collector.Tell(new OutputActivity(_setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(activity)));
    }
}
