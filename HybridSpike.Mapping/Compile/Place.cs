using System.Collections.Immutable;

namespace HybridSpike.Mapping.Compile;

/// <summary>A core's position: its chip and its place on the chip, and its coordinates on the whole mesh.</summary>
public sealed record CoreAddress(int Index, int ChipX, int ChipY, int CoreX, int CoreY, int X, int Y);

/// <summary>A piece on a core.</summary>
public sealed record Placement(Piece Piece, CoreAddress Core);

/// <summary>The split network with every piece on a core.</summary>
public sealed record PlacedNetwork(SplitNetwork Split, ImmutableArray<Placement> Placements)
{
    public IEnumerable<Placement> Of(string population) => Placements.Where(p => p.Piece.Population == population);
}

/// <summary>How pieces are put on cores. Strategies are interchangeable; each is a pure function of its context.</summary>
public interface IPlacementStrategy
{
    string Name { get; }
    PlacedNetwork Place(PlacementContext context);
}

/// <summary>
/// Places pieces in order on cores in order: chip by chip (row-major over the chip grid), and on a
/// chip core by core (row-major), so that a population's pieces sit next to each other.
/// </summary>
public sealed class SequentialPlacement : IPlacementStrategy
{
    public string Name => "sequential";

    public PlacedNetwork Place(PlacementContext context)
    {
        var split = context.Split;
        var layout = split.Profile.Layout;
        if (split.Pieces.Length > layout.Cores)
            throw new CompileException($"place: {split.Pieces.Length} pieces need more cores than profile '{split.Profile.Name}' has ({layout.Cores})");
        var placements = split.Pieces.Select((piece, i) => new Placement(piece, Address(layout, i)));
        return new PlacedNetwork(split, [.. placements]);
    }

    /// <summary>The address of core number <paramref name="index"/> in sequential order.</summary>
    public static CoreAddress Address(Profiles.MeshLayout layout, int index)
    {
        int chip = index / layout.CoresPerChip, onChip = index % layout.CoresPerChip;
        int chipX = chip % layout.ChipsX, chipY = chip / layout.ChipsX;
        int coreX = onChip % layout.CoresX, coreY = onChip / layout.CoresX;
        return new CoreAddress(index, chipX, chipY, coreX, coreY, chipX * layout.CoresX + coreX, chipY * layout.CoresY + coreY);
    }
}

/// <summary>
/// Places pieces on distinct cores drawn at random from the whole mesh: the cores' sequential
/// numbers are shuffled with the seed (SplitMix64, Fisher-Yates) and piece i goes on the i-th, so
/// one seed always gives one placement. A population's pieces end up scattered over chips, which
/// lengthens routes and adds chip crossings: a way to study how placement changes traffic, energy
/// and time per step. The spikes do not change, as they do not depend on placement (docs/mesh.md).
/// </summary>
public sealed class RandomPlacement(ulong seed) : IPlacementStrategy
{
    public ulong Seed => seed;

    public string Name => $"random({seed})";

    public PlacedNetwork Place(PlacementContext context)
    {
        var split = context.Split;
        var layout = split.Profile.Layout;
        if (split.Pieces.Length > layout.Cores)
            throw new CompileException($"place: {split.Pieces.Length} pieces need more cores than profile '{split.Profile.Name}' has ({layout.Cores})");
        var cores = Enumerable.Range(0, layout.Cores).ToArray();
        new Core.Numerics.SplitMix64(seed).Shuffle<int>(cores);
        var placements = split.Pieces.Select((piece, i) => new Placement(piece, SequentialPlacement.Address(layout, cores[i])));
        return new PlacedNetwork(split, [.. placements]);
    }
}
