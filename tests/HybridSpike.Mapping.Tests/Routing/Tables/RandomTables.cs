using System.Collections.Immutable;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

/// <summary>
/// Random chip tables with the table builder's key structure: 8-bit source | 4-bit piece | 4-bit unit
/// (the unit field always X), one entry per (source, piece) or one per whole source (piece X too), so
/// entries never overlap; routes from a small set so that merges are possible; some sources arrive on
/// link 0 and leave on link 3 only, which default routing replaces.
/// </summary>
public static class RandomTables
{
    public static Node Chip { get; } = new(2, 3);

    public static ImmutableArray<ChipRoute> Routes { get; } =
    [
        ChipRoute.Drop.WithLink(1),
        ChipRoute.Drop.WithLink(2).WithCore(1),
        ChipRoute.Drop.WithCore(4),
        ChipRoute.Drop.WithLink(4).WithLink(5),
    ];

    /// <summary>The route default routing gives a packet that arrived on link 0.</summary>
    public static ChipRoute Passing { get; } = ChipRoute.Drop.WithLink(TriangularTorus.Opposite(0));

    /// <param name="entries">About how many sources' entries (at most 4,096).</param>
    /// <param name="routes">How many of <see cref="Routes"/> to draw from.</param>
    /// <param name="defaultPercent">The share of entries default routing replaces.</param>
    public static ChipTable Structured(int seed, int entries, int routes, int defaultPercent)
    {
        var rng = new Random(seed);
        var sources = ImmutableArray.CreateBuilder<SourceRoute>();
        int id = 0;
        for (int src = 0; src < 256 && sources.Count < entries; src++)
        {
            if (rng.Next(4) == 0) continue; // a source that does not pass here
            if (rng.Next(5) == 0)
            {
                // The whole source: piece and unit X.
                sources.Add(Source(rng, id++, new KeyMask((uint)src << 8, 0xFF00u), routes, defaultPercent));
                continue;
            }
            for (int piece = 0; piece < 16 && sources.Count < entries; piece++)
                if (rng.Next(3) != 0)
                    sources.Add(Source(rng, id++, new KeyMask(((uint)src << 8) | ((uint)piece << 4), 0xFFF0u), routes, defaultPercent));
        }
        return new ChipTable(Chip, sources.ToImmutable());
    }

    private static SourceRoute Source(Random rng, int id, KeyMask match, int routes, int defaultPercent) =>
        rng.Next(100) < defaultPercent
            ? new SourceRoute(id, match, 0, Passing)
            : new SourceRoute(id, match, rng.Next(2) == 0 ? null : 1, Routes[rng.Next(routes)]);
}
