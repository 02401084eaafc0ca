using HybridSpike.Training.Schedule;

namespace HybridSpike.Training.Tests.Schedule;

public class OmegaScheduleTests
{
    [Fact]
    public void Geometric_holds_then_moves_log_linearly_then_holds()
    {
        var s = new OmegaSchedule("geometric", 0.2, 0.6, 4);
        Assert.Equal(1000, s.Omega(1000, 10, 0.0));
        Assert.Equal(1000, s.Omega(1000, 10, 0.2));
        Assert.Equal(100, s.Omega(1000, 10, 0.4), 9); // halfway in log space
        Assert.Equal(10, s.Omega(1000, 10, 0.6));
        Assert.Equal(10, s.Omega(1000, 10, 1.0));
    }

    [Fact]
    public void Linear_moves_in_equal_increments()
    {
        var s = new OmegaSchedule("linear", 0, 1, 4);
        Assert.Equal(505, s.Omega(1000, 10, 0.5), 9);
    }

    [Fact]
    public void Step_takes_geometrically_spaced_plateaus()
    {
        var s = new OmegaSchedule("step", 0, 1, 3);
        Assert.Equal(1000, s.Omega(1000, 1, 0.2), 9);
        Assert.Equal(100, s.Omega(1000, 1, 0.4), 9);
        Assert.Equal(10, s.Omega(1000, 1, 0.9), 9);
        Assert.Equal(1, s.Omega(1000, 1, 1.0), 9);
    }

    [Fact]
    public void Progress_is_the_fraction_of_batches_done()
    {
        Assert.Equal(0.25, OmegaSchedule.Progress(25, 100));
        Assert.Equal(1, OmegaSchedule.Progress(5, 0));
    }
}
