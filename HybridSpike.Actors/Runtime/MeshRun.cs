using System.Collections.Immutable;
using Akka.Actor;
using HybridSpike.Actors.Compile;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// One run of a compiled mesh: creates a core actor per placed piece, feeds the input, collects the
/// output (and the counts, when asked), and completes the run's task. Any core that fails ends the
/// run with that error: the run never hangs on a dead core.
/// </summary>
internal sealed class MeshRun : ReceiveActor
{
    private readonly CompiledMesh _mesh;
    private readonly TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Telemetry.CoreTraffic> Traffic)> _done;
    private readonly List<Telemetry.CoreTraffic> _traffic = [];
    private readonly int _coreCount;
    private readonly int _streams;
    private readonly int _outputSize;
    private readonly double[] _outputs;
    private readonly List<CoreCounts> _counts = [];
    private int _outputUnitsReceived;
    private readonly int _countsExpected;

    public MeshRun(CompiledMesh mesh, ImmutableArray<double> inputs, int streams, int steps, bool recordCounts, MeshRunOptions options,
        TaskCompletionSource<(double[] Outputs, List<CoreCounts> Counts, List<Telemetry.CoreTraffic> Traffic)> done)
    {
        _mesh = mesh;
        _done = done;
        _streams = streams;
        var net = mesh.Network;
        int output = net.Populations.IndexOf(net.Population(net.Output.Population));
        _outputSize = net.Populations[output].Size;
        _outputs = new double[streams * _outputSize];
        Receive<OutputActivity>(OnOutput);
        Receive<CoreCounts>(c => { _counts.Add(c); TryFinish(); });
        Receive<Telemetry.CoreTraffic>(t => { _traffic.Add(t); TryFinish(); });

        var fixedNet = mesh.Discretized.FixedPoint();
        var placements = mesh.Routed.Placed.Placements;
        _coreCount = placements.Length;
        var index = net.Populations.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var pieceCount = placements.GroupBy(p => p.Piece.Population).ToDictionary(g => g.Key, g => g.Count());
        // Create the cores first (destinations need their refs), then send each its setup.
        var cores = new IActorRef[placements.Length];
        var setups = new CoreSetup[placements.Length];
        for (int k = 0; k < placements.Length; k++)
        {
            var piece = placements[k].Piece;
            int pi = index[piece.Population];
            var incoming = ImmutableArray.CreateBuilder<IncomingConnection>();
            for (int c = 0; c < net.Connections.Length; c++)
            {
                var conn = net.Connections[c];
                if (conn.Target != piece.Population) continue;
                var w = fixedNet.Weights[c];
                bool input = conn.Source == NetworkDescription.InputName;
                int si = input ? -1 : index[conn.Source];
                incoming.Add(new IncomingConnection(si, w.Sources, input ? 1 : pieceCount[conn.Source], conn.Delay == Delay.OneStep,
                    input ? null : net.Populations[si].Omega,
                    w.Mantissas.Slice(piece.Start * w.Sources, piece.Count * w.Sources),
                    w.RowExponents.Slice(piece.Start, piece.Count)));
            }
            setups[k] = new CoreSetup(k, pi, piece.Start, piece.Count, streams, steps, recordCounts, pi == output, incoming.ToImmutable(), Self);
        }
        for (int k = 0; k < placements.Length; k++)
        {
            var setup = setups[k];
            var population = net.Populations[setup.Population];
            cores[k] = Context.ActorOf(Props.Create(() => new CoreActor(setup, population)), $"core-{k}");
            Context.Watch(cores[k]);
        }
        // Where each core's payloads and input go: the core itself, or with a delivery shuffle the shuffler in front of it.
        // The wiring goes straight to the core, so that it knows its destinations before any payload reaches it.
        var inbox = options.Shuffle is { } shuffle
            ? [.. cores.Select((core, k) => Context.ActorOf(Props.Create(() => new ShuffledDelivery(core, shuffle, k)), $"shuffle-{k}"))]
            : cores;
        for (int k = 0; k < placements.Length; k++)
        {
            var name = placements[k].Piece.Population;
            var destinations = Enumerable.Range(0, placements.Length)
                .Where(d => net.Connections.Any(c => c.Source == name && c.Target == placements[d].Piece.Population)).ToImmutableArray();
            cores[k].Tell(new Wire([.. destinations.Select(d => inbox[d])], destinations));
        }
        // The input, every step, to each core the input feeds.
        int dims = net.Input.Dimensions;
        _countsExpected = recordCounts ? steps * placements.Count(p => net.Population(p.Piece.Population).IsQuantized) : 0;
        var fedByInput = Enumerable.Range(0, placements.Length).Where(k => setups[k].Incoming.Any(c => c.Source == -1)).ToList();
        for (int t = 0; t < steps; t++)
        {
            var values = new long[streams * dims];
            for (int s = 0; s < streams; s++)
                for (int d = 0; d < dims; d++) values[s * dims + d] = FixedPoint.Payload(inputs[(s * steps + t) * dims + d]);
            var message = new InputPayloads(t, ImmutableArray.Create(values));
            foreach (var k in fedByInput) inbox[k].Tell(message);
        }
        Receive<Terminated>(_ => { });
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _done.TrySetException(new InvalidOperationException($"a core failed: {e.Message}", e));
        Context.Stop(Self);
        return Directive.Stop;
    });

    private void OnOutput(OutputActivity a)
    {
        for (int s = 0; s < _streams; s++)
            for (int i = 0; i < a.Count; i++) _outputs[s * _outputSize + a.Start + i] = a.Values[s * a.Count + i];
        _outputUnitsReceived += a.Count;
        TryFinish();
    }

    private void TryFinish()
    {
        if (_outputUnitsReceived < _outputSize || _counts.Count < _countsExpected || _traffic.Count < _coreCount) return;
        _done.TrySetResult((_outputs, _counts, _traffic));
        Context.Stop(Self);
    }

    protected override void PostStop() =>
        _done.TrySetException(new InvalidOperationException("the mesh run stopped before the output arrived"));
}

/// <summary>Tells a core where its payloads go (sent once, before the first step's input).</summary>
internal sealed record Wire(ImmutableArray<IActorRef> Destinations, ImmutableArray<int> DestinationCores);
