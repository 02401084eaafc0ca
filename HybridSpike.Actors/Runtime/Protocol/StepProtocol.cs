using Akka.Actor;
using Akka.Configuration;

namespace HybridSpike.Actors.Runtime.Protocol;

/// <summary>
/// The settings of the step protocol, read once from <c>hybridspike.mesh</c> (defaults in the runtime's
/// reference.conf); a bad value's error names its key.
/// </summary>
/// <param name="Window">Mesh steps the driver feeds ahead of the slowest core.</param>
/// <param name="ProgressInterval">Steps between two progress reports of a core.</param>
/// <param name="StreamBuffer">Input steps a stream's bounded channel holds.</param>
/// <param name="OutputBuffer">Read outputs a stream holds unread before the mesh takes no more of its input.</param>
public sealed record StepProtocolSettings(int Window, int ProgressInterval, int StreamBuffer, int OutputBuffer)
{
    private static readonly Lazy<Config> Reference = new(() =>
    {
        using var stream = typeof(StepProtocolSettings).Assembly.GetManifestResourceStream("HybridSpike.Actors.Runtime.reference.conf")
            ?? throw new InvalidOperationException("HybridSpike.Actors.Runtime.reference.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });

    /// <summary>The runtime's reference.conf (for a system's configuration to fall back on).</summary>
    public static Config ReferenceConfig => Reference.Value;

    /// <summary>The defaults of reference.conf.</summary>
    public static StepProtocolSettings Default { get; } = FromConfig(Reference.Value);

    /// <summary>The settings of <paramref name="system"/>'s configuration over the defaults.</summary>
    public static StepProtocolSettings From(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return FromConfig(system.Settings.Config.WithFallback(Reference.Value));
    }

    /// <summary>Reads the keys under <c>hybridspike.mesh</c>; every problem names its key.</summary>
    public static StepProtocolSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!ReferenceEquals(config, Reference.Value)) config = config.WithFallback(Reference.Value);
        int Int(string key)
        {
            try { return config.GetInt(key); }
            catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException)
            {
                throw new ArgumentException($"{key}: not an integer ({config.GetString(key)})", e);
            }
        }
        var s = new StepProtocolSettings(Int("hybridspike.mesh.protocol.window"), Int("hybridspike.mesh.protocol.progress-interval"),
            Int("hybridspike.mesh.session.stream-buffer"), Int("hybridspike.mesh.session.output-buffer"));
        if (s.Validate() is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems));
        return s;
    }

    /// <summary>Every problem, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Window < 1) e.Add($"hybridspike.mesh.protocol.window: must be at least 1, got {Window}");
        if (ProgressInterval < 1) e.Add($"hybridspike.mesh.protocol.progress-interval: must be at least 1, got {ProgressInterval}");
        else if (ProgressInterval > Window) e.Add($"hybridspike.mesh.protocol.progress-interval: must not exceed the window ({Window}), got {ProgressInterval}");
        if (StreamBuffer < 1) e.Add($"hybridspike.mesh.session.stream-buffer: must be at least 1, got {StreamBuffer}");
        if (OutputBuffer < 1) e.Add($"hybridspike.mesh.session.output-buffer: must be at least 1, got {OutputBuffer}");
        return e;
    }
}

/// <summary>The phases of a mesh step, after Lava's LoihiProtocol (docs/mesh.md, "The step protocol").</summary>
public enum StepPhase
{
    /// <summary>Cores compute the step and deliver its payloads (spikes) to their destinations.</summary>
    Compute,
    /// <summary>At a step boundary: stream slots opened or reset, snapshots taken. Nothing computes meanwhile.</summary>
    Management,
    /// <summary>Outputs, progress and telemetry go to the host; runs beside the next steps' compute.</summary>
    Host,
}

/// <summary>
/// The synchronization protocol of a resident mesh, as a plain object the step driver owns: which mesh step is next,
/// how far ahead of the slowest core it may feed (the window), and when a management phase holds the mesh at a step
/// boundary. Cores never read a clock and never wait on a barrier: each computes a step when it holds that step's
/// messages; the driver alone decides which steps exist.
/// </summary>
public sealed class StepProtocol
{
    private readonly long[] _progress;
    private int _pauses;

    public StepProtocol(StepProtocolSettings settings, int cores)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cores);
        Settings = settings;
        _progress = new long[cores];
    }

    public StepProtocolSettings Settings { get; }

    /// <summary>The next mesh step to feed (steps are numbered from 0 in the order fed).</summary>
    public long NextStep { get; private set; }

    /// <summary>Steps every core has reported finished.</summary>
    public long SlowestCore { get; private set; }

    /// <summary>Compute while nothing holds the mesh; Management while a boundary is held.</summary>
    public StepPhase Phase => _pauses > 0 ? StepPhase.Management : StepPhase.Compute;

    /// <summary>A step may be fed now: no management phase holds the boundary and the window has room.</summary>
    public bool CanFeed => _pauses == 0 && NextStep - SlowestCore < Settings.Window;

    /// <summary>Step <see cref="NextStep"/> has been fed; returns its number.</summary>
    public long Fed()
    {
        if (!CanFeed) throw new InvalidOperationException($"step {NextStep} cannot be fed: {(_pauses > 0 ? "the mesh is held at a step boundary" : "the window is full")}");
        return NextStep++;
    }

    /// <summary>A core reports <paramref name="steps"/> steps done.</summary>
    public void Progress(int core, long steps)
    {
        if ((uint)core >= (uint)_progress.Length) throw new ArgumentOutOfRangeException(nameof(core), core, $"the mesh has cores 0..{_progress.Length - 1}");
        if (steps > NextStep) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"core {core} reports {steps} steps; only {NextStep} were fed");
        if (steps <= _progress[core]) return;
        _progress[core] = steps;
        long min = long.MaxValue;
        foreach (var p in _progress) min = Math.Min(min, p);
        SlowestCore = min;
    }

    /// <summary>Holds the mesh at the boundary after the last fed step (a management phase begins); returns that step (−1: before any).</summary>
    public long Hold()
    {
        _pauses++;
        return NextStep - 1;
    }

    /// <summary>
    /// Starts again from the boundary after mesh step <paramref name="step"/> (a recovery point: every core restored there,
    /// docs/cluster.md): the next step to feed is <paramref name="step"/> + 1, and every core stands there.
    /// </summary>
    public void RollBack(long step)
    {
        if (step < -1 || step >= NextStep) throw new ArgumentOutOfRangeException(nameof(step), step, $"a recovery point lies between −1 and the last step fed ({NextStep - 1})");
        NextStep = step + 1;
        Array.Fill(_progress, step + 1);
        SlowestCore = step + 1;
    }

    /// <summary>Ends one management phase; the mesh computes again when none holds it.</summary>
    public void Release()
    {
        if (_pauses == 0) throw new InvalidOperationException("no management phase holds the mesh");
        _pauses--;
    }
}
