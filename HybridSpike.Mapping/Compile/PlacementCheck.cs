using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Compile;

/// <summary>
/// The check every placer's output goes through (<see cref="Compiler.Compile(Core.Network.NetworkDescription, HardwareProfile, IPlacementStrategy, CompileOptions)"/>
/// calls it right after placement), so a new strategy cannot hand the router or the mesh an
/// impossible placement: every piece of the split placed exactly once, every core inside the
/// profile's layout with an address that agrees with <see cref="SequentialPlacement.Address"/>, no
/// core holding two pieces, and each piece within the per-core limits. The first problem found is
/// a <see cref="CompileException"/> naming the core (and chip) or the piece, and the reason.
/// </summary>
public static class PlacementCheck
{
    public static void Validate(PlacedNetwork placed, HardwareProfile profile)
    {
        var layout = profile.Layout;
        var split = placed.Split;
        var times = new Dictionary<(string, int), int>();
        var pieces = new Dictionary<(string, int), Piece>();
        foreach (var p in split.Pieces) { times[(p.Population, p.Start)] = 0; pieces[(p.Population, p.Start)] = p; }
        var holder = new Dictionary<int, Piece>();
        foreach (var (piece, core) in placed.Placements.Select(p => (p.Piece, p.Core)))
        {
            var key = (piece.Population, piece.Start);
            if (!times.TryGetValue(key, out int seen) || pieces[key] != piece)
                throw new CompileException($"place: piece {Name(piece)} on core {core.Index} is not a piece of the split network");
            if (seen > 0)
                throw new CompileException($"place: piece {Name(piece)} is placed twice (again on core {core.Index})");
            times[key] = 1;
            if (core.Index < 0 || core.Index >= layout.Cores)
                throw new CompileException($"place: piece {Name(piece)} is on core {core.Index}, outside profile '{profile.Name}' (cores 0..{layout.Cores - 1})");
            var expected = SequentialPlacement.Address(layout, core.Index);
            if (core != expected)
                throw new CompileException($"place: core {core.Index} of piece {Name(piece)} has address {Describe(core)}, but core {core.Index} is {Describe(expected)}");
            if (holder.TryGetValue(core.Index, out var other))
                throw new CompileException($"place: core {core.Index} at chip ({core.ChipX},{core.ChipY}) holds two pieces: {Name(other)} and {Name(piece)}");
            holder[core.Index] = piece;
            var limits = profile.Core;
            void Limit(long value, long max, string what, string field)
            {
                if (value > max)
                    throw new CompileException($"place: core {core.Index} at chip ({core.ChipX},{core.ChipY}): piece {Name(piece)} has {value} {what}, more than {field} ({max})");
            }
            Limit(piece.Count, limits.Units, "units", "core.units");
            Limit(piece.InputAxons, limits.InputAxons, "input axons", "core.inputAxons");
            Limit(piece.OutputAxons, limits.OutputAxons, "output axons", "core.outputAxons");
            Limit(piece.SynapseBits, limits.SynapseMemoryBits, "synapse bits", "core.synapseMemoryBits");
        }
        foreach (var p in split.Pieces)
            if (times[(p.Population, p.Start)] == 0)
                throw new CompileException($"place: piece {Name(p)} is not placed");
    }

    /// <summary>A piece as its population and inclusive unit range: <c>a[0..15]</c>.</summary>
    public static string Name(Piece piece) => $"{piece.Population}[{piece.Start}..{piece.Start + piece.Count - 1}]";

    private static string Describe(CoreAddress a) => $"chip ({a.ChipX},{a.ChipY}) core ({a.CoreX},{a.CoreY}) mesh ({a.X},{a.Y})";
}
