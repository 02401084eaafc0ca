using System.Numerics;

namespace HybridSpike.Core.Metrics;

/// <summary>
/// The per-count definitions behind the activity metrics (docs/metrics.md), one copy each.
/// </summary>
public static class ActivityMath
{
    /// <summary>
    /// Bits from the highest to the lowest set bit of <paramref name="magnitude"/> (|n|), both included:
    /// <c>⌊log2 |n|⌋ − tz(|n|) + 1</c>, where tz counts trailing zero bits. A weight is multiplied by |n|
    /// with that many shift-and-adds (1→1, 2→1, 3→2, 4→1, 5→3, 6→2, 12→2). Zero has none.
    /// </summary>
    public static int SignificantBits(uint magnitude) => magnitude == 0 ? 0 : SignificantBitsOfNonzero(magnitude);

    /// <summary><see cref="SignificantBits"/> without the zero check (−32 for 0): for branch-free loops that weight it by 0 there.</summary>
    internal static int SignificantBitsOfNonzero(uint magnitude) =>
        32 - BitOperations.LeadingZeroCount(magnitude) - BitOperations.TrailingZeroCount(magnitude);

    /// <summary>|n| of a count, exact for every int (|int.MinValue| = 2³¹ fits a uint).</summary>
    public static uint Magnitude(int n)
    {
        long x = n, sign = x >> 63;     // branch-free: 0 or −1
        return (uint)((x ^ sign) - sign);
    }

    /// <summary>
    /// Activity bits of one population:
    /// <c>(1/U) Σ_u log2(1 + max|n_u|) + (signed ? 1 : 0)</c>, with <c>max|n_u|</c> the largest count
    /// magnitude of unit u over all steps and samples; the extra bit is the sign of a population whose
    /// activation can be negative (<see cref="Numerics.Activations.IsSigned"/>), whatever was observed.
    /// </summary>
    public static double ActivityBits(ReadOnlySpan<long> maxMagnitudes, bool signed)
    {
        if (maxMagnitudes.IsEmpty) throw new ArgumentException("activity bits need at least one unit", nameof(maxMagnitudes));
        double sum = 0;
        foreach (long m in maxMagnitudes)
        {
            if (m < 0) throw new ArgumentOutOfRangeException(nameof(maxMagnitudes), m, "a maximum magnitude cannot be negative");
            sum += Math.Log2(1.0 + m);
        }
        return sum / maxMagnitudes.Length + (signed ? 1 : 0);
    }

    /// <summary>
    /// Activity bits of one population read per sequence (method.md): for each sequence and unit the largest |n| within
    /// that sequence, then <c>log2(1 + max)</c> averaged over every (sequence, unit) pair, plus the sign bit. From a
    /// histogram of those maxima (<paramref name="maxima"/>: value → how many pairs had it), so that the figure is exact
    /// whatever order and split the sequences came in.
    /// </summary>
    public static double ActivityBitsPerSequence(IEnumerable<KeyValuePair<long, long>> maxima, bool signed)
    {
        ArgumentNullException.ThrowIfNull(maxima);
        double sum = 0;
        long pairs = 0;
        foreach (var (m, count) in maxima)
        {
            if (m < 0) throw new ArgumentOutOfRangeException(nameof(maxima), m, "a maximum magnitude cannot be negative");
            if (count <= 0) throw new ArgumentOutOfRangeException(nameof(maxima), count, $"maximum {m}: a count of pairs must be positive");
            sum += count * Math.Log2(1.0 + m);
            pairs += count;
        }
        if (pairs == 0) throw new ArgumentException("activity bits per sequence need at least one (sequence, unit) pair", nameof(maxima));
        return sum / pairs + (signed ? 1 : 0);
    }
}
