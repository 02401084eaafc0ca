using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class FixedPointTests
{
    [Fact]
    public void The_block_exponent_puts_the_largest_weight_at_the_top_of_the_mantissa_range()
    {
        // 8 bits: mantissas up to 127. max |w| = 1.0 -> e = -6 (1.0 / 2^-6 = 64; e = -7 would give 128 > 127).
        Assert.Equal(-6, FixedPoint.BlockExponent([0.25, -1.0, 0.5], 8));
        Assert.Equal(64, FixedPoint.Mantissa(1.0, -6, 8));
        // max |w| = 0.99 -> e = -7 (0.99 · 128 = 126.7 -> 127 fits).
        Assert.Equal(-7, FixedPoint.BlockExponent([0.99], 8));
        Assert.Equal(0, FixedPoint.BlockExponent([0.0, 0.0], 8));
    }

    [Fact]
    public void Mantissas_round_half_to_even_and_clamp()
    {
        Assert.Equal(2, FixedPoint.Mantissa(2.5, 0, 8));
        Assert.Equal(4, FixedPoint.Mantissa(3.5, 0, 8));
        Assert.Equal(-127, FixedPoint.Mantissa(-1000, 0, 8));
        Assert.Equal(0.375, FixedPoint.Value(3, -3));
    }

    [Fact]
    public void Discretizing_a_block_errs_by_at_most_half_a_step_and_never_overflows()
    {
        Prop.ForAll(
            Gen.Choose(-100_000, 100_000).Select(i => i / 1000.0).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            Gen.Choose(3, 12).ToArbitrary(),
            (weights, bits) =>
            {
                int e = FixedPoint.BlockExponent(weights, bits);
                double step = Math.ScaleB(1, e);
                return weights.All(w =>
                {
                    int m = FixedPoint.Mantissa(w, e, bits);
                    return Math.Abs(m) <= FixedPoint.MaxMantissa(bits) && Math.Abs(FixedPoint.Value(m, e) - w) <= step / 2;
                });
            }).QuickCheckThrowOnFailure();
    }
}
