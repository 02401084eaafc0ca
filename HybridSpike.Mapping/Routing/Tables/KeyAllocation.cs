using System.Collections.Immutable;
using System.Numerics;
using HybridSpike.Core.Network;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>The key of one source core: its units' keys are <c>Match.Key | unit</c>, all matched by <see cref="Match"/>.</summary>
/// <param name="Source">The source core (placement order).</param>
/// <param name="Match">The key with the unit field zero, and the mask over every field but the unit's.</param>
/// <param name="UnitBits">The width of the unit field (the low bits).</param>
public sealed record SourceKey(int Source, KeyMask Match, int UnitBits)
{
    /// <summary>The key of the source's unit <paramref name="unit"/> (its place within the core's piece).</summary>
    public uint KeyOf(int unit) =>
        unit >= 0 && (UnitBits == 32 || unit < 1L << UnitBits) ? Match.Key | (uint)unit
        : throw new ArgumentOutOfRangeException(nameof(unit), unit, $"core {Source}'s unit field has {UnitBits} bits");
}

/// <summary>
/// 32-bit routing keys for every core that sends packets, allocated by fields as PACMAN's zoned
/// allocator does (zoned_routing_info_allocator.py): population | piece | unit, most significant first.
/// The population field numbers the sending populations in network order and has the same width for
/// all; below it each population splits the remaining bits into its own piece field (wide enough for
/// its pieces) and unit field (wide enough for its largest piece). The mask covers every field but the
/// unit's, so one table entry serves all the units of a core, and the cores of one population differ
/// only in the piece field, which lets a compressor merge a population's entries that share a route.
/// </summary>
/// <param name="Keys">Per core (placement order): its key, or null when it sends no packet.</param>
/// <param name="PopulationBits">Width of the population field.</param>
/// <param name="LowBits">Width of piece + unit fields (the widest population's).</param>
public sealed record KeyAllocation(ImmutableArray<SourceKey?> Keys, int PopulationBits, int LowBits)
{
    public const int KeyBits = 32;

    public SourceKey Of(int source) => Keys[source] ?? throw new ArgumentException($"core {source} sends no packets and has no key", nameof(source));

    /// <summary>
    /// Keys for the cores of the placed network whose population feeds a connection (the network
    /// input is not routed). A key space wider than 32 bits is a <see cref="CompileException"/> naming
    /// the fields and the population that needs the most.
    /// </summary>
    public static KeyAllocation Allocate(PlacedNetwork placed)
    {
        var net = placed.Split.Network;
        var sending = net.Connections.Where(c => c.Source != NetworkDescription.InputName).Select(c => c.Source).ToHashSet();
        var populations = net.Populations.Where(p => sending.Contains(p.Name)).Select(p => p.Name).ToList();
        var placements = placed.Placements;
        // Per sending population: its cores in unit order (the piece number is the rank).
        var byPopulation = Enumerable.Range(0, placements.Length).ToLookup(k => placements[k].Piece.Population);
        var cores = populations.Select(p => byPopulation[p].OrderBy(k => placements[k].Piece.Start).ToList()).ToList();
        var spaces = populations.Select((p, i) => new KeySpace(p, cores[i].Count, cores[i].Max(k => placements[k].Piece.Count))).ToImmutableArray();
        var (populationBits, lowBits) = Widths(spaces);
        var keys = new SourceKey?[placements.Length];
        for (int p = 0; p < populations.Count; p++)
        {
            int unitBits = Bits(spaces[p].MaxUnits);
            uint unitMask = unitBits == 0 ? 0 : (uint)((1UL << unitBits) - 1);
            for (int piece = 0; piece < cores[p].Count; piece++)
            {
                uint key = (uint)(((ulong)p << lowBits) | ((ulong)piece << unitBits));
                keys[cores[p][piece]] = new SourceKey(cores[p][piece], new KeyMask(key, ~unitMask), unitBits);
            }
        }
        return new KeyAllocation([.. keys], populationBits, lowBits);
    }

    /// <summary>
    /// The widths of the population field and of the piece + unit fields below it, for these sending
    /// populations; wider than 32 bits in all is a <see cref="CompileException"/> naming the population that needs the most.
    /// </summary>
    public static (int PopulationBits, int LowBits) Widths(ImmutableArray<KeySpace> populations)
    {
        int populationBits = Bits(populations.Length);
        var widest = populations.OrderByDescending(p => Bits(p.Cores) + Bits(p.MaxUnits)).FirstOrDefault();
        int lowBits = widest is null ? 0 : Bits(widest.Cores) + Bits(widest.MaxUnits);
        if (populationBits + lowBits > KeyBits)
            throw new CompileException(
                $"keys: {populationBits + lowBits} bits needed, limit {KeyBits}: {populationBits} to number {populations.Length} sending populations, " +
                $"and population '{widest!.Population}' needs {Bits(widest.Cores)} for its {widest.Cores} cores and {Bits(widest.MaxUnits)} for up to {widest.MaxUnits} units per core");
        return (populationBits, lowBits);
    }

    /// <summary>Bits to number <paramref name="n"/> things (0 for one or none).</summary>
    public static int Bits(int n) => n <= 1 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)(n - 1));
}

/// <summary>What one sending population needs of the key space: its cores (the piece field) and its largest core's units (the unit field).</summary>
public sealed record KeySpace(string Population, int Cores, int MaxUnits);
