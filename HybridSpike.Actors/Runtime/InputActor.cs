using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// The network input of one run, its one job: once the run has wired the cores (<see cref="StartInput"/>),
/// it sends each step's input payloads (round(x·2^16), every stream) to the cores the input feeds, at
/// most <see cref="Window"/> steps ahead of the slowest core, which reports its progress
/// (<see cref="Progress"/>). Without that bound, cores near the input ran through the whole sequence
/// at once and their destinations held every step's payloads (hundreds of MB on a large network);
/// with it the mesh moves as a pipeline some steps deep. Flow control only: it changes when steps
/// run, never what they compute.
/// </summary>
internal sealed class InputActor : ReceiveActor
{
    /// <summary>Input steps fed ahead of the slowest core.</summary>
    internal const int Window = 32;

    private readonly ImmutableArray<double> _inputs;
    private readonly int _streams, _steps, _dims;
    private readonly int[] _progress;          // steps each core has finished, as last reported
    private ImmutableArray<IActorRef> _targets = [];
    private int _fed;                          // input steps sent so far
    private bool _started;

    /// <param name="inputs">[stream, step, dim].</param>
    /// <param name="cores">How many cores report progress.</param>
    public InputActor(ImmutableArray<double> inputs, int streams, int steps, int dims, int cores)
    {
        _inputs = inputs;
        _streams = streams;
        _steps = steps;
        _dims = dims;
        _progress = new int[cores];
        Receive<StartInput>(s =>
        {
            _targets = s.Cores;
            _started = true;
            FeedUpTo(Math.Min(_steps, Window));
        });
        Receive<Progress>(p =>
        {
            _progress[p.Core] = Math.Max(_progress[p.Core], p.Steps);
            if (_started) FeedUpTo(Math.Min(_steps, _progress.Min() + Window));
        });
    }

    private void FeedUpTo(int limit)
    {
        for (; _fed < limit; _fed++)
        {
            var values = new long[_streams * _dims];
            for (int s = 0; s < _streams; s++)
                for (int d = 0; d < _dims; d++) values[s * _dims + d] = FixedPoint.Payload(_inputs[(s * _steps + _fed) * _dims + d]);
            var message = new InputPayloads(_fed, ImmutableCollectionsMarshal.AsImmutableArray(values));
            foreach (var core in _targets) core.Tell(message);
        }
    }
}

/// <summary>Every core is wired: feed these (the cores the input feeds, or their shufflers).</summary>
internal sealed record StartInput(ImmutableArray<IActorRef> Cores);

/// <summary>A core has finished <paramref name="Steps"/> steps (sent every <see cref="CoreActor.ProgressEvery"/> steps): the input may run further ahead.</summary>
internal sealed record Progress(int Core, int Steps);
