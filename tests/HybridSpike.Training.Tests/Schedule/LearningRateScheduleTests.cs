using HybridSpike.Training.Schedule;

namespace HybridSpike.Training.Tests.Schedule;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.37)]
    [InlineData(1.0)]
    public void A_constant_schedule_keeps_the_rate(double progress) =>
        Assert.Equal(1e-3, new LearningRateSchedule("constant", 1e-3, 0).At(progress));

    [Fact]
    public void A_cosine_schedule_goes_from_the_rate_through_the_midpoint_to_the_minimum()
    {
        var s = new LearningRateSchedule("cosine", 1e-3, 1e-5);
        Assert.Equal(1e-3, s.At(0), 15);
        Assert.Equal((1e-3 + 1e-5) / 2, s.At(0.5), 15);
        Assert.Equal(1e-5, s.At(1), 15);
        Assert.True(s.At(0.25) > s.At(0.75), "it falls all the way");
    }

    [Fact]
    public void Progress_outside_the_run_is_clamped() =>
        Assert.Equal(new LearningRateSchedule("cosine", 1e-3, 0).At(1), new LearningRateSchedule("cosine", 1e-3, 0).At(1.5));

    [Fact]
    public void An_unknown_schedule_is_named() =>
        Assert.Contains("'warmup'", Assert.Throws<ArgumentException>(() => new LearningRateSchedule("warmup", 1e-3, 0).At(0)).Message);
}
