using System.Collections.Immutable;
using System.Threading.Channels;
using Akka.Actor;

namespace HybridSpike.Actors.Runtime.Session;

/// <summary>Which of a stream's steps have their output read (its own step numbers, from 0).</summary>
public abstract record OutputReads
{
    private OutputReads() { }

    /// <summary>Every step's output.</summary>
    public static OutputReads EveryStep { get; } = new Periodic(1, 0);

    /// <summary>Steps k with k mod <paramref name="period"/> = <paramref name="phase"/>: e.g. (784, 783) reads the last pixel of each psMNIST digit of a stream of digits.</summary>
    public static OutputReads Every(int period, int phase) => new Periodic(period, phase);

    /// <summary>The listed steps only.</summary>
    public static OutputReads AtSteps(IEnumerable<long> steps) => new At([.. steps.Order()]);

    /// <summary>Whether step <paramref name="step"/>'s output is read.</summary>
    public abstract bool IsRead(long step);

    /// <summary>Every problem, each naming its field.</summary>
    public abstract IReadOnlyList<string> Validate();

    /// <summary>Steps k with k mod Period = Phase.</summary>
    public sealed record Periodic(int Period, int Phase) : OutputReads
    {
        public override bool IsRead(long step) => Period > 0 && step % Period == Phase;

        public override IReadOnlyList<string> Validate() =>
            Period < 1 ? [$"reads.period: must be at least 1, got {Period}"]
            : Phase < 0 || Phase >= Period ? [$"reads.phase: must be in 0..{Period - 1}, got {Phase}"] : [];
    }

    /// <summary>The listed steps.</summary>
    public sealed record At(ImmutableArray<long> Steps) : OutputReads
    {
        public override bool IsRead(long step) => Steps.BinarySearch(step) >= 0;

        public override IReadOnlyList<string> Validate() => Steps.Any(s => s < 0) ? ["reads.steps: must not be negative"] : [];
    }
}

/// <summary>What a push does when the stream's buffer has no room for the whole chunk.</summary>
public enum WhenFull
{
    /// <summary>Wait until the mesh has taken enough steps (backpressure).</summary>
    Wait,
    /// <summary>Refuse the chunk at once with <see cref="StreamFullException"/>; nothing of it is taken.</summary>
    Reject,
}

/// <summary>What opening a stream does when every slot is taken.</summary>
public enum WhenNoSlot
{
    /// <summary>Wait until a stream closes.</summary>
    Wait,
    /// <summary>Refuse at once with <see cref="NoFreeSlotException"/>.</summary>
    Reject,
}

/// <summary>How a stream behaves: which outputs it reads and what happens when it must wait.</summary>
public sealed record StreamOptions(OutputReads Reads, WhenFull WhenFull, WhenNoSlot WhenNoSlot)
{
    /// <summary>Every step read; pushes and opens wait.</summary>
    public static StreamOptions Default { get; } = new(OutputReads.EveryStep, WhenFull.Wait, WhenNoSlot.Wait);

    /// <summary>These options reading <paramref name="reads"/>.</summary>
    public StreamOptions WithReads(OutputReads reads) => this with { Reads = reads };

    /// <summary>These options with <paramref name="whenFull"/> (for F#, which cannot copy a C# record with <c>with</c>).</summary>
    public StreamOptions WithWhenFull(WhenFull whenFull) => this with { WhenFull = whenFull };

    /// <summary>These options with <paramref name="whenNoSlot"/>.</summary>
    public StreamOptions WithWhenNoSlot(WhenNoSlot whenNoSlot) => this with { WhenNoSlot = whenNoSlot };
}

/// <summary>One read output: the output population's activities after the stream's step <paramref name="Step"/>.</summary>
public sealed record StreamOutput(long Step, ImmutableArray<double> Activity)
{
    /// <summary>The index of the largest activity (the first of equal ones): the class.</summary>
    public int Argmax
    {
        get
        {
            int best = 0;
            for (int i = 1; i < Activity.Length; i++) if (Activity[i] > Activity[best]) best = i;
            return best;
        }
    }
}

/// <summary>Every slot of the mesh holds an open stream.</summary>
public sealed class NoFreeSlotException(string message) : InvalidOperationException(message);

/// <summary>A push found the stream's buffer without room for its chunk (the stream chose <see cref="WhenFull.Reject"/>).</summary>
public sealed class StreamFullException(string message) : InvalidOperationException(message);

/// <summary>The stream ended because its mesh failed; <see cref="Exception.InnerException"/> says how.</summary>
public sealed class StreamFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Where a stream stood at a snapshot: its slot and the next step of its own the mesh would take.</summary>
public sealed record StreamPosition(long StreamId, int Slot, long NextStep);

/// <summary>
/// One stream of a resident mesh: input pushed in chunks of any number of steps as it arrives, outputs read as they
/// come, closed when its input is complete. Its outputs equal those of the same input run alone offline, whatever
/// other streams do. Pushes from one caller at a time (a stream is one sequence).
/// </summary>
public sealed class MeshStream
{
    private readonly Channel<ReadOnlyMemory<double>> _input;
    private readonly Channel<StreamOutput> _output = Channel.CreateUnbounded<StreamOutput>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IActorRef _driver;
    private readonly int _dims;
    private readonly int _capacity;
    private readonly OutputReader _reader;
    private volatile Exception? _failure;
    private int _completed;
    private int _outputsFull;   // 1 while the driver holds this stream's input back for unread outputs
    private long _stepsTaken;

    internal MeshStream(long id, int slot, int dims, int capacity, StreamOptions options, IActorRef driver)
    {
        Id = id;
        Slot = slot;
        Options = options;
        _dims = dims;
        _capacity = capacity;
        _driver = driver;
        _input = Channel.CreateBounded<ReadOnlyMemory<double>>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _reader = new OutputReader(this);
    }

    /// <summary>The stream's number in its deployment.</summary>
    public long Id { get; }

    /// <summary>The slot it occupies while open.</summary>
    public int Slot { get; }

    public StreamOptions Options { get; }

    /// <summary>Values per step.</summary>
    public int Dimensions => _dims;

    /// <summary>The read outputs, in step order; completes when the stream is closed and every output is out, or faults with the mesh.</summary>
    public ChannelReader<StreamOutput> Outputs => _reader;

    /// <summary>The outputs as an async sequence.</summary>
    public IAsyncEnumerable<StreamOutput> ReadAllAsync(CancellationToken cancel) => _reader.ReadAllAsync(cancel);

    /// <summary>Read outputs written and not yet taken by the reader.</summary>
    public int UnreadOutputs => _output.Reader.Count;

    /// <summary>
    /// The driver's half of the output bound (<c>hybridspike.mesh.session.output-buffer</c>): true when the stream,
    /// with <paramref name="inFlight"/> more read outputs on their way, holds <paramref name="limit"/> or more unread, and
    /// then the reader's next take wakes the driver. The flag is raised before the count is read again and the reader
    /// takes before it reads the flag, so either the driver sees the take or the reader sees the flag: no lost wake-up.
    /// </summary>
    internal bool OutputsFull(int inFlight, int limit)
    {
        if (_output.Reader.Count + inFlight < limit) return false;
        Interlocked.Exchange(ref _outputsFull, 1);
        if (_output.Reader.Count + inFlight < limit)
        {
            Interlocked.Exchange(ref _outputsFull, 0);
            return false;
        }
        return true;
    }

    private void Taken()
    {
        if (Volatile.Read(ref _outputsFull) != 0 && Interlocked.Exchange(ref _outputsFull, 0) != 0) _driver.Tell(new InputArrived(Slot));
    }

    /// <summary>The outputs as the caller reads them: each take may wake a driver that is holding the stream back.</summary>
    private sealed class OutputReader(MeshStream stream) : ChannelReader<StreamOutput>
    {
        private ChannelReader<StreamOutput> Inner => stream._output.Reader;

        public override Task Completion => Inner.Completion;

        public override bool CanCount => true;

        public override int Count => Inner.Count;

        public override bool CanPeek => Inner.CanPeek;

        public override bool TryPeek([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out StreamOutput item) => Inner.TryPeek(out item);

        public override bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out StreamOutput item)
        {
            if (!Inner.TryRead(out item)) return false;
            stream.Taken();
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => Inner.WaitToReadAsync(cancellationToken);
    }

    /// <summary>Completes when the stream's slot is free again (input complete, every output written); faults with the mesh.</summary>
    public Task Completion => _closed.Task;

    internal ChannelReader<ReadOnlyMemory<double>> Input => _input.Reader;

    /// <summary>Steps pushed that the mesh has not taken yet (a service's queue depth).</summary>
    public int BufferedSteps => _input.Reader.Count;

    /// <summary>The stream's own steps the mesh has taken so far (fed to its cores; a resumed stream counts from its position).</summary>
    public long StepsTaken => Interlocked.Read(ref _stepsTaken);

    /// <summary>Its input is complete (<see cref="Complete"/>): no more pushes; the outputs still due follow.</summary>
    public bool IsComplete => Volatile.Read(ref _completed) != 0;

    /// <summary>The driver has taken steps up to (not including) <paramref name="next"/>; written by the driver only.</summary>
    internal void Taken(long next) => Interlocked.Exchange(ref _stepsTaken, next);

    internal ChannelWriter<StreamOutput> OutputWriter => _output.Writer;

    /// <summary>
    /// Appends <paramref name="values"/>, whole steps of <see cref="Dimensions"/> values each. A chunk with a partial
    /// step or a value that is NaN or infinite is refused whole (ArgumentException naming the step): the stream stays
    /// usable. After <see cref="Complete"/>: InvalidOperationException. When the buffer is full the stream's
    /// <see cref="WhenFull"/> decides.
    /// </summary>
    public async ValueTask PushAsync(ReadOnlyMemory<double> values, CancellationToken cancel)
    {
        if (_failure is { } f) throw new StreamFailedException($"stream {Id}: the mesh failed: {f.Message}", f);
        if (Volatile.Read(ref _completed) != 0) throw new InvalidOperationException($"stream {Id} is closed: no input can be pushed after Complete");
        if (values.Length % _dims != 0)
            throw new ArgumentException($"stream {Id}: a chunk of {values.Length} values is not a whole number of steps of {_dims} values");
        var span = values.Span;
        for (int i = 0; i < span.Length; i++)
            if (!double.IsFinite(span[i]))
                throw new ArgumentException($"stream {Id}: value {span[i]} at step {i / _dims} of the chunk (dimension {i % _dims}) is not finite");
        int steps = values.Length / _dims;
        if (steps == 0) return;
        if (Options.WhenFull == WhenFull.Reject)
        {
            if (steps > _capacity - _input.Reader.Count)
                throw new StreamFullException($"stream {Id}: its buffer holds {_input.Reader.Count} of {_capacity} steps; a chunk of {steps} steps does not fit");
        }
        // The caller may reuse its buffer: one copy per chunk, each step a slice of it.
        var copy = values.ToArray();
        for (int s = 0; s < steps; s++)
        {
            var step = new ReadOnlyMemory<double>(copy, s * _dims, _dims);
            if (!_input.Writer.TryWrite(step))
            {
                _driver.Tell(new InputArrived(Slot));
                try { await _input.Writer.WriteAsync(step, cancel).ConfigureAwait(false); }
                catch (ChannelClosedException) when (_failure is { } failed)
                {
                    throw new StreamFailedException($"stream {Id}: the mesh failed: {failed.Message}", failed);
                }
            }
        }
        _driver.Tell(new InputArrived(Slot));
    }

    /// <summary>No more input: the stream closes once the mesh has taken every pushed step and its outputs are out.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        _input.Writer.TryComplete();
        _driver.Tell(new InputArrived(Slot));
    }

    /// <summary><see cref="Complete"/>, then waits for <see cref="Completion"/>.</summary>
    public Task CloseAsync()
    {
        Complete();
        return Completion;
    }

    internal void Closed()
    {
        _output.Writer.TryComplete();
        _closed.TrySetResult();
    }

    internal void Failed(Exception error)
    {
        _failure = error;
        _input.Writer.TryComplete();
        var failure = new StreamFailedException($"stream {Id}: the mesh failed: {error.Message}", error);
        _output.Writer.TryComplete(failure);
        _closed.TrySetException(failure);
    }
}

/// <summary>A stream has new input, or its input is complete.</summary>
internal sealed record InputArrived(int Slot);
