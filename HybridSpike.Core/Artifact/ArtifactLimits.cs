using HybridSpike.Core.Network;

namespace HybridSpike.Core.Artifact;

/// <summary>
/// The largest artifact the reader (and the writer) accepts. A file is checked against these before anything
/// is allocated from the sizes it declares, so a well-formed but absurd file (a population of 10^9 units) is
/// refused naming the field instead of exhausting memory in compile, eval or simulate. Each is far above a
/// trained network's (an hsLMU has a few hundred units and well under a million weights); docs/artifact.md.
/// </summary>
public static class ArtifactLimits
{
    /// <summary>File size: 1 GiB.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Units of one population.</summary>
    public const int MaxUnits = 1_000_000;

    /// <summary>Units of all populations together.</summary>
    public const int MaxTotalUnits = 10_000_000;

    /// <summary>Values per step of the input.</summary>
    public const int MaxInputDimensions = 1_000_000;

    /// <summary>Populations of a network.</summary>
    public const int MaxPopulations = 1_000;

    /// <summary>Connections of a network.</summary>
    public const int MaxConnections = 10_000;

    /// <summary>Stored weights of one connection: rows·cols of a dense one, synapses of a sparse one.</summary>
    public const long MaxWeightsPerConnection = 100_000_000;

    /// <summary>
    /// The first limit <paramref name="network"/> exceeds, as a message naming the field, the value and the
    /// limit; null when it is within all of them.
    /// </summary>
    public static string? Exceeded(NetworkDescription network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Populations.Length > MaxPopulations)
            return $"network.populations: {network.Populations.Length} populations exceed the limit of {MaxPopulations}";
        if (network.Connections.Length > MaxConnections)
            return $"network.connections: {network.Connections.Length} connections exceed the limit of {MaxConnections}";
        if (network.Input is { } input && input.Dimensions > MaxInputDimensions)
            return $"network.input.dimensions: {input.Dimensions} exceeds the limit of {MaxInputDimensions}";
        long total = 0;
        for (int i = 0; i < network.Populations.Length; i++)
        {
            var p = network.Populations[i];
            if (p.Size > MaxUnits) return $"network.populations[{i}].size: population '{p.Name}' has {p.Size} units, over the limit of {MaxUnits}";
            total += Math.Max(0, p.Size);
        }
        if (total > MaxTotalUnits) return $"network.populations: {total} units in all exceed the limit of {MaxTotalUnits}";
        for (int i = 0; i < network.Connections.Length; i++)
        {
            var w = network.Connections[i].Weights;
            if (w is not null && w.Synapses > MaxWeightsPerConnection)
                return $"network.connections[{i}].weights: {w.Synapses} weights exceed the limit of {MaxWeightsPerConnection} per connection";
        }
        return null;
    }
}
