using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables.Compressors;

/// <summary>The checks every compressor makes of its input before it relies on them.</summary>
internal static class CompressorInput
{
    /// <summary>
    /// Refuses a table whose own entries match a key of <see cref="RoutingTable.DefaultRouted"/>: the
    /// contract (such keys keep matching nothing) would then be impossible to keep.
    /// </summary>
    public static void Validate(RoutingTable table, int targetEntries, string compressor)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (targetEntries < 0)
            throw new ArgumentOutOfRangeException(nameof(targetEntries), targetEntries, "the target table size cannot be negative");
        var entries = table.Entries.AsSpan();
        foreach (var d in table.DefaultRouted.AsSpan())
            for (int i = 0; i < entries.Length; i++)
                if (entries[i].Match.Intersects(d))
                    throw new CompileException(
                        $"{compressor} compressor, chip ({table.Chip.X},{table.Chip.Y}): entry {i} ({entries[i].Match}) matches keys of the default-routed keys {d}, which must match no entry");
    }

    public static string Chip(RoutingTable table) => $"({table.Chip.X},{table.Chip.Y})";
}
