using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class SplitMix64Tests
{
    [Fact]
    public void Seed_zero_gives_the_published_reference_sequence()
    {
        // Reference outputs of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        var g = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, g.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, g.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, g.NextUInt64());
    }

    [Fact]
    public void NextInt_stays_in_range_and_hits_every_value()
    {
        var g = new SplitMix64(7);
        var seen = new int[7];
        for (int i = 0; i < 7_000; i++) seen[g.NextInt(7)]++;
        Assert.All(seen, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void NextDouble_is_in_the_unit_interval()
    {
        var g = new SplitMix64(3);
        for (int i = 0; i < 10_000; i++) Assert.InRange(g.NextDouble(), 0.0, 0.9999999999999999);
    }

    [Fact]
    public void Derived_streams_differ_from_each_other_and_repeat_for_the_same_key()
    {
        Assert.NotEqual(SplitMix64.Derive(1, 0).NextUInt64(), SplitMix64.Derive(1, 1).NextUInt64());
        Assert.Equal(SplitMix64.Derive(1, 5).NextUInt64(), SplitMix64.Derive(1, 5).NextUInt64());
    }
}
