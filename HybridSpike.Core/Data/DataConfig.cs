using System.Text.Json;
using HybridSpike.Core.Network;

namespace HybridSpike.Core.Data;

/// <summary>
/// Which sequences a run reads: the dataset, its split seed and the psMNIST permutation seed, and
/// how much of it. The <c>data</c> section of a training config; compile, simulate and the service
/// build it from an artifact (<see cref="ForArtifact"/>) without the training side.
/// </summary>
public sealed record DataConfig
{
    public string Dataset { get; init; } = Datasets.MnistEmbedded;
    public string? DataDirectory { get; init; }
    public ulong PermutationSeed { get; init; } = Datasets.DefaultPermutationSeed;
    public ulong SplitSeed { get; init; } = Datasets.DefaultSplitSeed;
    /// <summary>Use only this many training images (0 = all): for quick runs.</summary>
    public int TrainLimit { get; init; }
    /// <summary>Evaluate on only this many test images (0 = all).</summary>
    public int TestLimit { get; init; }

    /// <summary>
    /// The data an artifact's network reads: its input's <see cref="InputMapping.Sequence"/>, or for an artifact
    /// that does not name it (written before it existed), the <c>data</c> section of the training config in its
    /// provenance. The error names the artifact when neither says.
    /// </summary>
    public static DataConfig ForArtifact(Artifact.ModelArtifact artifact, string source)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (artifact.Network.Input.Sequence is { } q)
        {
            if (q.PermutationSeed is null)
                throw new ArgumentException($"{source}: the input is read in sequential order; only permuted views (psMNIST) are supported");
            return new DataConfig { Dataset = q.Dataset, SplitSeed = q.SplitSeed, PermutationSeed = q.PermutationSeed.Value };
        }
        return FromTrainingConfig(artifact.Provenance.ConfigJson, source);
    }

    /// <summary>The <c>data</c> section of a training config's JSON (defaults where it is absent).</summary>
    public static DataConfig FromTrainingConfig(string configJson, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(configJson, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"{source}: the provenance's training config is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
                if (string.Equals(p.Name, "data", StringComparison.OrdinalIgnoreCase))
                    return ConfigJson.Parse<DataConfig>(p.Value.GetRawText(), $"{source} (provenance config, data)", (m, e) => new ArgumentException(m, e));
            return new DataConfig();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: the provenance's training config is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The artifact's name for this data: the dataset, its split and the permutation.</summary>
    public SequenceInput ToSequenceInput() => new(Dataset, SplitSeed, PermutationSeed);
}
