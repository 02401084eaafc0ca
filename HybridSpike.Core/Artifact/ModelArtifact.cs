using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using HybridSpike.Core.Network;

namespace HybridSpike.Core.Artifact;

/// <summary>The arithmetic an artifact's network is defined in (the golden simulator runs it exactly so).</summary>
public static class ArtifactArithmetic
{
    /// <summary>
    /// The step-by-step equations of <see cref="Reference.GoldenSimulator"/> in IEEE-754 binary64:
    /// weights, biases, ω and activities are float64; spike counts are int32.
    /// </summary>
    public const string Float64 = "float64";

    /// <summary>The arithmetics this version reads and writes.</summary>
    public static ImmutableArray<string> Supported { get; } = [Float64];
}

/// <summary>Where a trained network came from: enough to retrain it and to tell runs apart.</summary>
/// <param name="ModelKind">The model family, for example "hslmu".</param>
/// <param name="ConfigJson">The training configuration as JSON text, verbatim.</param>
/// <param name="Dataset">The dataset name, for example "mnist-embedded".</param>
/// <param name="Seeds">Every seed the run used, by role (for example "init", "shuffle", "permutation").</param>
/// <param name="Epochs">Training epochs completed.</param>
/// <param name="CreatedUtc">When the artifact was made, ISO-8601 UTC ("2026-01-02T03:04:05Z", see <see cref="UtcTimestamp"/>).</param>
/// <param name="ToolVersion">The HybridSpike version that trained it (see <see cref="CurrentToolVersion"/>).</param>
/// <param name="Notes">Free-form text (empty when none).</param>
public sealed record Provenance(
    string ModelKind,
    string ConfigJson,
    string Dataset,
    ImmutableDictionary<string, ulong> Seeds,
    int Epochs,
    string CreatedUtc,
    string ToolVersion,
    string Notes)
{
    /// <summary>The informational version of HybridSpike.Core (the build's version).</summary>
    public static string CurrentToolVersion { get; } =
        typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Provenance).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The ISO-8601 UTC form used in <see cref="CreatedUtc"/>, to the second: "yyyy-MM-ddTHH:mm:ssZ".</summary>
    public static string UtcTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// The deployment artifact: a trained network with the arithmetic it is defined in, where it came from
/// and how well it did. Written and read by <see cref="ArtifactFile"/>; the schema is in docs/artifact.md.
/// </summary>
/// <param name="SchemaVersion">The file schema: <see cref="CurrentSchemaVersion"/>, or 1 for an artifact read from an older file.</param>
/// <param name="Arithmetic">One of <see cref="ArtifactArithmetic.Supported"/>.</param>
/// <param name="Metrics">Named results (for example "test-accuracy"), filled by training.</param>
public sealed record ModelArtifact(
    int SchemaVersion,
    string Arithmetic,
    NetworkDescription Network,
    Provenance Provenance,
    ImmutableDictionary<string, double> Metrics)
{
    /// <summary>The schema this version writes: 3, which names each quantized population's rule and ends with a digest of the contents.</summary>
    public const int CurrentSchemaVersion = 3;

    /// <summary>The schemas this version reads: 1 (no digest), 2 (sigma-delta only) and 3.</summary>
    public static ImmutableArray<int> ReadableSchemaVersions { get; } = [1, 2, 3];

    /// <summary>
    /// A float64 artifact of the current schema. The network is validated here as the reader validates it
    /// (<see cref="NetworkDescription.Validate"/> and <see cref="ArtifactLimits"/>), so an artifact no command
    /// would read is refused where it is made: <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    public static ModelArtifact Create(NetworkDescription network, Provenance provenance, ImmutableDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ArtifactLimits.Exceeded(network) is { } limit) throw new ArgumentException(limit, nameof(network));
        network.Validate();
        return new(CurrentSchemaVersion, ArtifactArithmetic.Float64, network, provenance, metrics);
    }

    /// <summary>A float64 artifact of the current schema, without metrics.</summary>
    public static ModelArtifact Create(NetworkDescription network, Provenance provenance) =>
        Create(network, provenance, ImmutableDictionary<string, double>.Empty);
}

/// <summary>An artifact as read from a file, with the digest that identifies its contents.</summary>
/// <param name="Digest">
/// Lowercase hex SHA-256 (64 characters). Schema 2: the digest stored in the file, which the reader checked against
/// the bytes before it; the same network, provenance and metrics always give the same digest. Schema 1 (no stored
/// digest): the SHA-256 of the whole file.
/// </param>
public sealed record DigestedArtifact(ModelArtifact Artifact, string Digest);
