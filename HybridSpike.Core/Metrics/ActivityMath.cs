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
}
