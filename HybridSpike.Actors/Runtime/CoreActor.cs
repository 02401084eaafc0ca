using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// One neuromorphic core: a piece of one population, its incoming fixed-point weights and its
/// units' state for every stream. It computes step t as soon as it holds every source's payloads
/// that step needs (same-step sources at t, one-step sources at t−1), then sends its own payloads
/// of step t to every destination core. The arithmetic is the fixed-point simulator's
/// (Core/Reference/FixedPointSimulator.cs): integer sums per connection, combined in network order,
/// so the result does not depend on the order in which messages arrive. The step itself is
/// <see cref="CoreStep"/>'s, the same function the fixed-point golden simulator runs: the actor only
/// gathers each step's arrivals and sends the payloads on.
/// </summary>
internal sealed class CoreActor : ReceiveActor
{
    private readonly CoreSetup _setup;
    private readonly CorePlan _plan;
    private readonly CoreState _state;           // every stream's quantizer states and delayed payloads (Core/Dynamics)
    private readonly StepScratch _scratch;
    private readonly int[] _slots;               // every stream steps every step of a batch run
    private readonly long[]?[] _arrivalsNow;     // per incoming connection: this step's source payloads (same-step ones)
    private readonly Dictionary<(int Source, int Step), Arrival> _arrivals = [];
    private readonly int[] _sources;             // distinct sources (population index, -1 for the input)
    private readonly Dictionary<int, Stack<Arrival>> _spare = [];  // per source: arrivals of finished steps, reused
    private int _step;
    private readonly Dictionary<int, int> _sourceSizes; // source population -> its size, looked up per message
    private ImmutableArray<IActorRef> _destinations = [];
    private ImmutableArray<int> _destinationCores = [];
    private bool _wired;
    // Per step (Telemetry.CoreTraffic): no allocation per step.
    private readonly long[] _synapticPerStep, _updatesPerStep, _spikesPerStep, _sentPerStep, _receivedPerStep;

    private sealed class Arrival(int size)
    {
        public readonly long[] Values = new long[size];
        public int Pieces;
    }

    public CoreActor(CoreSetup setup, Population population)
    {
        _setup = setup;
        _plan = new CorePlan(setup.Population, population, setup.Start, setup.Count,
            [.. setup.Incoming.Select(c => new CoreConnection(c.Source, c.SourceSize, c.OneStep, c.SourceOmega, c.Weights, c.RowExponents))]);
        _state = CoreState.Initial(_plan, setup.Streams);
        _scratch = new StepScratch(_plan);
        _slots = [.. Enumerable.Range(0, setup.Streams)];
        _arrivalsNow = new long[]?[setup.Incoming.Length];
        _synapticPerStep = new long[setup.Steps];
        _updatesPerStep = new long[setup.Steps];
        _spikesPerStep = new long[setup.Steps];
        _sentPerStep = new long[setup.Steps];
        _receivedPerStep = new long[setup.Steps];
        _sourceSizes = setup.Incoming.GroupBy(c => c.Source).ToDictionary(g => g.Key, g => g.First().SourceSize);
        _sources = [.. _sourceSizes.Keys];
        foreach (var source in _sources) _spare[source] = new Stack<Arrival>();
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
            Compute(_step);
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

    /// <summary>
    /// Step t: the one-step connections' payloads of t−1 are delivered into the state (<see cref="CoreStep.Deliver"/>),
    /// then <see cref="CoreStep.Run"/> steps every stream on this step's same-step payloads, and the payloads go to
    /// every destination.
    /// </summary>
    private void Compute(int t)
    {
        int n = _setup.Count, streams = _setup.Streams;
        for (int ci = 0; ci < _setup.Incoming.Length; ci++)
        {
            var c = _setup.Incoming[ci];
            if (c.OneStep)
            {
                if (t > 0) CoreStep.Deliver(_plan, _state, ci, _slots, _arrivals[(c.Source, t - 1)].Values);
                _arrivalsNow[ci] = null;
            }
            else _arrivalsNow[ci] = _arrivals[(c.Source, t)].Values;
        }
        var payloads = new long[streams * n];
        var counts = _setup.RecordCounts && _plan.Population.IsQuantized ? new int[streams * n] : null;
        var activity = _setup.IsOutput && t == _setup.Steps - 1 ? new double[streams * n] : null;
        var done = CoreStep.Run(_plan, _state, _slots, _arrivalsNow, payloads, counts, activity, _scratch);
        _synapticPerStep[t] = done.SynapticEvents;
        _updatesPerStep[t] = (long)streams * n;
        _spikesPerStep[t] = done.Spikes;
        _sentPerStep[t] = done.NonzeroPayloads;           // per destination (each gets the same payloads)
        // The arrays are handed over, not copied: nothing here writes them after this point.
        var message = new Payloads(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(payloads));
        foreach (var d in _destinations) d.Tell(message);
        if (counts is not null) _setup.Collector.Tell(new CoreCounts(t, _setup.Population, _setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(counts)));
        if (activity is not null) _setup.Collector.Tell(new OutputActivity(_setup.Start, n, ImmutableCollectionsMarshal.AsImmutableArray(activity)));
    }
}
