using System.Collections.Immutable;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>No compression: the table as default routing leaves it. The reference the others are measured against.</summary>
public sealed class NoCompression : IRoutingTableCompressor
{
    public const string CompressorName = "none";

    public string Name => CompressorName;

    public RoutingTable Compress(RoutingTable table, int targetEntries) => table;
}

/// <summary>The compressors a profile's <c>routing.compressor</c> may name.</summary>
public static class TableCompressors
{
    private static readonly ImmutableArray<IRoutingTableCompressor> All = [new NoCompression(), new Compressors.PairCompressor(), new Compressors.OrderedCoveringCompressor()];

    /// <summary>The valid <c>routing.compressor</c> values.</summary>
    public static ImmutableArray<string> Names { get; } = [.. All.Select(c => c.Name)];

    public static IRoutingTableCompressor For(string name) =>
        All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"routing.compressor: unknown '{name}' (valid: {string.Join(", ", Names)})", nameof(name));
}
