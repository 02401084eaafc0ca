namespace HybridSpike.Core.Numerics;

/// <summary>
/// The project's one seeded generator: SplitMix64 (Steele, Lea &amp; Flood 2014).
/// Chosen over <see cref="System.Random"/> because its output is fully specified, so that
/// permutations, splits and initial states are the same on every .NET version and can be
/// reproduced by other tools from the seed alone:
/// <c>z = (state += 0x9E3779B97F4A7C15); z = (z ^ z&gt;&gt;30)·0xBF58476D1CE4E5B9; z = (z ^ z&gt;&gt;27)·0x94D049BB133111EB; z ^ z&gt;&gt;31</c>.
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound) by Lemire's multiply-and-reject, without modulo bias.</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong threshold = (ulong)(-(long)bound) % (ulong)bound; // 2^64 mod bound
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * (ulong)bound;
            if ((ulong)m >= threshold) return (int)(ulong)(m >> 64);
        }
    }

    /// <summary>Fisher-Yates shuffle in place (from the last element down).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for a sub-stream (for example one epoch), independent of the parent's position.</summary>
    public static SplitMix64 Derive(ulong seed, ulong stream)
    {
        var g = new SplitMix64(seed ^ (0xD1B54A32D192ED03UL * (stream + 1)));
        g.NextUInt64();
        return g;
    }
}
