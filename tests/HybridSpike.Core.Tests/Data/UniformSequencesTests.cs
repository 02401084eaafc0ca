using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public class UniformSequencesTests
{
    private static readonly UniformSequences Inputs = new(Steps: 50, Dimensions: 2, Seed: 7);

    [Fact]
    public void A_sequence_is_the_same_whatever_it_is_read_with()
    {
        var alone = Inputs.Doubles([3]);
        var together = Inputs.Doubles([0, 1, 2, 3]);
        Assert.Equal(alone, together[(3 * 100)..]);
    }

    [Fact]
    public void Two_positions_give_two_different_sequences()
    {
        Assert.NotEqual(Inputs.Doubles([0]), Inputs.Doubles([1]));
    }

    [Fact]
    public void Two_seeds_give_two_different_sequences()
    {
        Assert.NotEqual(Inputs.Doubles([0]), (Inputs with { Seed = 8 }).Doubles([0]));
    }

    [Fact]
    public void Values_lie_in_minus_one_to_one_and_reach_both_ends()
    {
        var x = Inputs.Doubles([0, 1, 2, 3, 4, 5, 6, 7]);
        Assert.All(x, v => Assert.InRange(v, -1.0, 1.0 - 1e-16));
        Assert.True(x.Min() < -0.9, $"smallest {x.Min()}");
        Assert.True(x.Max() > 0.9, $"largest {x.Max()}");
    }

    [Fact]
    public void The_layout_is_sequence_then_step_then_dimension()
    {
        Assert.Equal(3 * 50 * 2, Inputs.Doubles([4, 5, 6]).Length);
    }

    [Fact]
    public void A_negative_position_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Inputs.Doubles([-1]));
        Assert.Contains("negative", e.Message);
    }
}
