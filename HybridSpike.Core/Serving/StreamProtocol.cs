using System.Text.Json.Serialization;

namespace HybridSpike.Core.Serving;

/// <summary>
/// The streaming protocol's messages (docs/serve.md). <c>POST /v2/streams</c> takes an <see cref="OpenStreamRequest"/>
/// and answers an <see cref="OpenStreamResponse"/>; the stream's WebSocket (<c>/v2/streams/{id}</c>) then carries
/// <see cref="ClientFrame"/>s in and <see cref="ServerFrame"/>s out, one JSON object a text message.
/// </summary>
/// <param name="ReadSteps">The stream's own steps whose outputs it wants; null or empty: every step.</param>
/// <param name="WhenFull">What a push does when the stream's input buffer is full: <c>wait</c> (the default) or <c>reject</c>.</param>
/// <param name="Frames">The encoding of the service's frames: <c>json</c> (text messages, the default) or <c>msgpack</c> (binary).</param>
public sealed record OpenStreamRequest(IReadOnlyList<long>? ReadSteps, string? WhenFull, string? Frames);

/// <summary>An open stream: its id (the WebSocket's path), the model and version it runs on to its end, and the width of a step.</summary>
public sealed record OpenStreamResponse(string Id, string Model, string Version, int InputDimensions, int OutputDimensions, string WebSocket, string Frames);

/// <summary>
/// A message from the client: <c>push</c> appends <see cref="Values"/>, whole steps of the input's width, flattened;
/// <c>close</c> ends the input (the outputs still due follow, then a <c>closed</c> frame).
/// </summary>
public sealed record ClientFrame(string Type, double[]? Values);

/// <summary>
/// A message from the service: <c>output</c> (a read step's <see cref="Outputs"/> and their argmax,
/// <see cref="Prediction"/>), <c>error</c> (a refused frame: <see cref="Message"/> says why; the stream stays usable),
/// <c>closed</c> (every output is out; <see cref="Message"/> gives the reason).
/// </summary>
public sealed record ServerFrame(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Step = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double[]? Outputs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Prediction = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null)
{
    public static ServerFrame Output(long step, double[] outputs, int prediction) => new("output", step, outputs, prediction);

    public static ServerFrame Error(string message) => new("error", Message: message);

    public static ServerFrame Closed(string reason) => new("closed", Message: reason);
}

/// <summary>
/// A model the service holds, by name and version (the first 12 hex digits of its artifact's SHA-256), the
/// sequences its input reads (null for an artifact that does not say), so that a client can send the same view, and its
/// populations in network order (the quantized ones can be watched: <c>/v2/streams/{id}/spikes</c>).
/// </summary>
public sealed record ModelVersionInfo(string Name, string Version, string Digest, string State, int OpenStreams, ModelInput? Input, IReadOnlyList<PopulationInfo>? Populations)
{
    /// <summary>Equal field for field, the populations element by element (a list compares by reference otherwise, and one read back from JSON is never the one sent).</summary>
    public bool Equals(ModelVersionInfo? other) =>
        other is not null && (Name, Version, Digest, State, OpenStreams, Input) == (other.Name, other.Version, other.Digest, other.State, other.OpenStreams, other.Input)
        && (Populations is null ? other.Populations is null : other.Populations is not null && Populations.SequenceEqual(other.Populations));

    public override int GetHashCode() => HashCode.Combine(Name, Version, Digest, State, OpenStreams, Input, Populations?.Count);
}

/// <summary>A population of a model: its name, units, and whether it is quantized (it spikes: its counts can be watched).</summary>
public sealed record PopulationInfo(string Name, int Size, bool Quantized);

/// <summary>The dataset a model's input reads and its seeds: the test split and the psMNIST permutation a client must use.</summary>
public sealed record ModelInput(string Dataset, ulong SplitSeed, ulong? PermutationSeed);

/// <summary>
/// An open stream, as <c>GET /v2/streams</c> lists it: its id, the model and version it runs on, the steps of its own
/// the mesh has taken, and its <see cref="State"/>: <c>opened</c> (no socket yet), <c>streaming</c> (a socket drives
/// it) or <c>closing</c> (its input is complete; the outputs still due follow).
/// </summary>
public sealed record StreamInfo(string Id, string Model, string Version, long StepsTaken, string State);

/// <summary>
/// One output of a stream as <c>GET /v2/streams/{id}/outputs</c> sends it (one server-sent event): the stream's step,
/// the output population's activities after it and their argmax, the same values its socket's <c>output</c> frame holds.
/// </summary>
public sealed record OutputEvent(long Step, double[] Activity, int Argmax);

/// <summary>
/// One step of a watched population as <c>GET /v2/streams/{id}/spikes</c> sends it (one server-sent event): the stream's
/// step and every unit's spike count at it, in unit order (the integers the mesh's cores send).
/// </summary>
public sealed record SpikeEvent(long Step, int[] Counts);

/// <summary>An error answer: what was wrong, in one line.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>
/// <c>GET /v2/telemetry</c>: the service's mesh telemetry, polled every <see cref="IntervalSeconds"/> (docs/serve.md,
/// "Telemetry"). Rates, <see cref="Cores"/> and <see cref="Links"/> are the serving model's over the last interval;
/// <see cref="Totals"/> are over every model since the service started.
/// </summary>
/// <param name="Model">The serving model.</param>
/// <param name="IntervalSeconds">The length of the last interval as measured (0 before the first).</param>
/// <param name="EnergyPerInferenceJoules">The serving model's joules per stream step so far × its steps per sequence; null before its first step or when its sequence length is unknown.</param>
public sealed record TelemetryResponse(
    TelemetryModel Model,
    double IntervalSeconds,
    int OpenStreams,
    double StepsPerSecond,
    double SpikesPerSecond,
    double? EnergyPerInferenceJoules,
    TelemetryTotals Totals,
    TelemetryGrid Grid,
    IReadOnlyList<TelemetryCore> Cores,
    IReadOnlyList<TelemetryLink> Links);

/// <summary>A model by name and version (the first 12 hex digits of its artifact's SHA-256).</summary>
public sealed record TelemetryModel(string Name, string Version);

/// <summary>Counts since the service started, over every model: stream steps the meshes ran, Σ|n|, packets (within and between chips) and the energy model's joules.</summary>
public sealed record TelemetryTotals(long Steps, long Spikes, long Packets, long IntraChipPackets, long InterChipPackets, double EnergyJoules);

/// <summary>The hardware grid: chips × cores per chip, and the whole mesh's width and height in cores.</summary>
public sealed record TelemetryGrid(int ChipsX, int ChipsY, int CoresX, int CoresY, int Width, int Height);

/// <summary>A core the serving model uses, at its whole-mesh coordinates, and the population it holds a piece of.</summary>
public sealed record TelemetryCore(int X, int Y, string Population);

/// <summary>A directed link of the serving model's routes and its packets per second over the last interval.</summary>
public sealed record TelemetryLink(int FromX, int FromY, int ToX, int ToY, bool CrossesChips, double PacketsPerSecond);
