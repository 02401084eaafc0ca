using System.Collections.Immutable;
using System.Runtime.InteropServices;
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
    private readonly ImmutableArray<double> _inputs;
    private readonly int _steps, _dims;
    private readonly IActorRef[] _fedByInput;
    private readonly int[] _progress;          // steps each core has finished, as last reported
    private int _fed;                          // input steps sent so far

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

        var plan = MeshPlan.For(mesh);
        var placements = mesh.Routed.Placed.Placements;
        _coreCount = placements.Length;
        // Create the cores first (destinations need their refs), then wire each.
        var cores = new IActorRef[placements.Length];
        var setups = new CoreSetup[placements.Length];
        for (int k = 0; k < placements.Length; k++)
        {
            var core = plan.Cores[k];
            var setup = setups[k] = new CoreSetup(k, core.Population, core.Start, core.Count, streams, steps, recordCounts, core.Population == output, core.Incoming, Self);
            var population = net.Populations[setup.Population];
            cores[k] = Context.ActorOf(MeshRuntime.OnMeshDispatcher(Context.System, Props.Create(() => new CoreActor(setup, population))), $"core-{k}");
            Context.Watch(cores[k]);
        }
        // Where each core's payloads and input go: the core itself, or with a delivery shuffle the shuffler in front of it.
        // The wiring goes straight to the core, so that it knows its destinations before any payload reaches it.
        var inbox = options.Shuffle is { } shuffle
            ? [.. cores.Select((core, k) => Context.ActorOf(Props.Create(() => new ShuffledDelivery(core, shuffle, k)), $"shuffle-{k}"))]
            : cores;
        for (int k = 0; k < placements.Length; k++)
            cores[k].Tell(new Wire([.. plan.Cores[k].Destinations.Select(d => inbox[d])], plan.Cores[k].Destinations));
        // The input, every step, to each core the input feeds (through its shuffler, if any).
        int dims = net.Input.Dimensions;
        _countsExpected = recordCounts ? steps * placements.Count(p => net.Population(p.Piece.Population).IsQuantized) : 0;
        _inputs = inputs;
        _steps = steps;
        _dims = dims;
        _fedByInput = [.. plan.FedByInput.Select(k => inbox[k])];
        _progress = new int[placements.Length];
        Receive<Progress>(OnProgress);
        FeedUpTo(Math.Min(steps, Window));
        Receive<Terminated>(_ => { });
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _done.TrySetException(new InvalidOperationException($"a core failed: {e.Message}", e));
        Context.Stop(Self);
        return Directive.Stop;
    });

    /// <summary>
    /// Input steps fed ahead of the slowest core. Without a bound, cores near the input run through the
    /// whole sequence at once and their destinations hold every step's payloads (hundreds of MB on a
    /// large network); with it, the mesh moves as a pipeline some steps deep. Flow control only: it
    /// changes when steps run, never what they compute.
    /// </summary>
    internal const int Window = 32;

    private void FeedUpTo(int limit)
    {
        for (; _fed < limit; _fed++)
        {
            var values = new long[_streams * _dims];
            for (int s = 0; s < _streams; s++)
                for (int d = 0; d < _dims; d++) values[s * _dims + d] = FixedPoint.Payload(_inputs[(s * _steps + _fed) * _dims + d]);
            var message = new InputPayloads(_fed, ImmutableCollectionsMarshal.AsImmutableArray(values));
            foreach (var core in _fedByInput) core.Tell(message);
        }
    }

    private void OnProgress(Progress p)
    {
        _progress[p.Core] = Math.Max(_progress[p.Core], p.Steps);
        FeedUpTo(Math.Min(_steps, _progress.Min() + Window));
    }

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

/// <summary>A core has finished <paramref name="Steps"/> steps (sent every <see cref="CoreActor.ProgressEvery"/> steps): the run feeds more input.</summary>
internal sealed record Progress(int Core, int Steps);

/// <summary>Tells a core where its payloads go (sent once, before the first step's input).</summary>
internal sealed record Wire(ImmutableArray<IActorRef> Destinations, ImmutableArray<int> DestinationCores);
