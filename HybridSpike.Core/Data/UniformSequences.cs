using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Data;

/// <summary>
/// Seeded input sequences for generated networks (traffic studies, benchmarks): every value uniform in
/// [−1, 1), the bound the network validation assumes for inputs. Sequence i is drawn from its own
/// stream (<see cref="SplitMix64.Derive"/>(seed, i)), so it is the same whatever the count asked for or
/// the positions read together.
/// </summary>
/// <param name="Steps">Time steps per sequence.</param>
/// <param name="Dimensions">Input values per step.</param>
/// <param name="Seed">The seed all sequences derive from.</param>
public sealed record UniformSequences(int Steps, int Dimensions, ulong Seed)
{
    /// <summary>The sequences at <paramref name="positions"/>, laid out [sequence][step][dimension] as the simulators read them.</summary>
    public double[] Doubles(ReadOnlySpan<int> positions)
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "steps must be positive");
        if (Dimensions < 1) throw new ArgumentOutOfRangeException(nameof(Dimensions), Dimensions, "dimensions must be positive");
        int per = Steps * Dimensions;
        var x = new double[positions.Length * per];
        for (int s = 0; s < positions.Length; s++)
        {
            if (positions[s] < 0) throw new ArgumentOutOfRangeException(nameof(positions), positions[s], "a sequence position is negative");
            var g = SplitMix64.Derive(Seed, (ulong)positions[s]);
            for (int i = 0; i < per; i++) x[s * per + i] = 2 * g.NextDouble() - 1;
        }
        return x;
    }
}
