using System.Collections.Immutable;

namespace HybridSpike.Actors.Compile;

/// <summary>A core's position: its chip and its place on the chip, and its coordinates on the whole mesh.</summary>
public sealed record CoreAddress(int Index, int ChipX, int ChipY, int CoreX, int CoreY, int X, int Y);

/// <summary>A piece on a core.</summary>
public sealed record Placement(Piece Piece, CoreAddress Core);

/// <summary>The split network with every piece on a core.</summary>
public sealed record PlacedNetwork(SplitNetwork Split, ImmutableArray<Placement> Placements)
{
    public IEnumerable<Placement> Of(string population) => Placements.Where(p => p.Piece.Population == population);
}

/// <summary>How pieces are put on cores. Strategies are interchangeable; each is a pure function.</summary>
public interface IPlacementStrategy
{
    string Name { get; }
    PlacedNetwork Place(SplitNetwork split);
}

/// <summary>
/// Places pieces in order on cores in order: chip by chip (row-major over the chip grid), and on a
/// chip core by core (row-major), so that a population's pieces sit next to each other.
/// </summary>
public sealed class SequentialPlacement : IPlacementStrategy
{
    public string Name => "sequential";

    public PlacedNetwork Place(SplitNetwork split)
    {
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
