using HybridSpike.Core.Metrics;

namespace HybridSpike.Core.Tests.Metrics;

public class ActivityMathTests
{
    [Theory]
    [InlineData(1u, 1)]
    [InlineData(2u, 1)]
    [InlineData(3u, 2)]
    [InlineData(4u, 1)]
    [InlineData(5u, 3)]
    [InlineData(6u, 2)]
    [InlineData(12u, 2)]
    [InlineData(7u, 3)]
    [InlineData(0x8000_0000u, 1)]
    [InlineData(0x8000_0001u, 32)]
    [InlineData(0u, 0)]
    public void Significant_bits_run_from_the_highest_to_the_lowest_set_bit(uint magnitude, int bits) =>
        Assert.Equal(bits, ActivityMath.SignificantBits(magnitude));

    [Fact]
    public void The_magnitude_of_every_int_is_exact_including_the_most_negative()
    {
        Assert.Equal(5u, ActivityMath.Magnitude(-5));
        Assert.Equal(5u, ActivityMath.Magnitude(5));
        Assert.Equal(0u, ActivityMath.Magnitude(0));
        Assert.Equal(2_147_483_648u, ActivityMath.Magnitude(int.MinValue));
    }

    [Fact]
    public void Activity_bits_of_an_unsigned_population_are_the_mean_of_log2_one_plus_max()
    {
        // Maxima 0, 1, 3, 7: log2 of 1, 2, 4, 8 = 0, 1, 2, 3; mean 1.5.
        Assert.Equal(1.5, ActivityMath.ActivityBits([0, 1, 3, 7], signed: false), 12);
        // Maxima 2 and 5: (log2 3 + log2 6) / 2.
        Assert.Equal((Math.Log2(3) + Math.Log2(6)) / 2, ActivityMath.ActivityBits([2, 5], signed: false), 12);
    }

    [Fact]
    public void Activity_bits_of_a_signed_population_add_one_sign_bit_even_if_no_negative_count_was_seen()
    {
        Assert.Equal(2.5, ActivityMath.ActivityBits([0, 1, 3, 7], signed: true), 12);
        Assert.Equal(1.0, ActivityMath.ActivityBits([0, 0], signed: true), 12);
    }

    [Fact]
    public void Activity_bits_refuse_no_units_and_negative_maxima()
    {
        Assert.Throws<ArgumentException>(() => ActivityMath.ActivityBits([], signed: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivityMath.ActivityBits([1, -1], signed: false));
    }

    [Fact]
    public void Activity_bits_per_sequence_weigh_each_maximum_by_its_pairs()
    {
        // Three pairs with max 0, one with 3: (3·0 + 2) / 4, plus the sign bit when signed.
        KeyValuePair<long, long>[] maxima = [KeyValuePair.Create(0L, 3L), KeyValuePair.Create(3L, 1L)];
        Assert.Equal(0.5, ActivityMath.ActivityBitsPerSequence(maxima, signed: false), 12);
        Assert.Equal(1.5, ActivityMath.ActivityBitsPerSequence(maxima, signed: true), 12);
    }

    [Fact]
    public void Activity_bits_per_sequence_refuse_an_empty_or_impossible_histogram()
    {
        Assert.Throws<ArgumentException>(() => ActivityMath.ActivityBitsPerSequence([], signed: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivityMath.ActivityBitsPerSequence([KeyValuePair.Create(-1L, 1L)], signed: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivityMath.ActivityBitsPerSequence([KeyValuePair.Create(2L, 0L)], signed: false));
    }
}
