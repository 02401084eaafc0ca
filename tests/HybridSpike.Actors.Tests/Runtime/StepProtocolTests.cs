using Akka.Configuration;
using HybridSpike.Actors.Runtime.Protocol;

namespace HybridSpike.Actors.Tests.Runtime;

public class StepProtocolTests
{
    private static StepProtocol Protocol(int window, int cores) => new(new StepProtocolSettings(window, 1, 16, 16), cores);

    [Fact]
    public void The_driver_feeds_no_further_than_the_window_ahead_of_the_slowest_core()
    {
        var p = Protocol(3, 2);
        for (int i = 0; i < 3; i++) p.Fed();
        Assert.False(p.CanFeed);
        p.Progress(0, 3);
        Assert.False(p.CanFeed); // core 1 has done nothing yet
        p.Progress(1, 1);
        Assert.True(p.CanFeed);
    }

    [Fact]
    public void A_held_boundary_stops_feeding_until_released()
    {
        var p = Protocol(8, 1);
        p.Fed();
        Assert.Equal(0, p.Hold());
        Assert.Equal(StepPhase.Management, p.Phase);
        Assert.False(p.CanFeed);
        p.Release();
        Assert.True(p.CanFeed);
    }

    [Fact]
    public void Rolling_back_to_a_recovery_point_feeds_the_step_after_it_next_with_every_core_there()
    {
        var p = Protocol(4, 2);
        for (int i = 0; i < 4; i++) p.Fed();
        p.Progress(0, 4);
        p.Progress(1, 3);
        p.RollBack(1);
        Assert.Equal(2, p.NextStep);
        Assert.Equal(2, p.SlowestCore);
        // The cores stand at step 2 now: step 2 fed again, and reported by both, moves it on.
        Assert.Equal(2, p.Fed());
        p.Progress(1, 3);
        p.Progress(0, 3);
        Assert.Equal(3, p.SlowestCore);
    }

    [Fact]
    public void A_recovery_point_after_the_last_step_fed_is_refused()
    {
        var p = Protocol(4, 1);
        p.Fed();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.RollBack(1));
    }

    [Fact]
    public void Holding_before_any_step_names_the_boundary_before_step_zero()
    {
        Assert.Equal(-1, Protocol(4, 1).Hold());
    }

    [Fact]
    public void A_core_reporting_more_steps_than_were_fed_is_refused()
    {
        var p = Protocol(4, 1);
        p.Fed();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Progress(0, 2));
    }

    [Fact]
    public void Settings_come_from_reference_conf_by_default()
    {
        var s = StepProtocolSettings.Default;
        Assert.Equal((32, 8), (s.Window, s.ProgressInterval));
    }

    [Fact]
    public void A_progress_interval_beyond_the_window_is_refused_naming_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => StepProtocolSettings.FromConfig(ConfigurationFactory.ParseString("hybridspike.mesh.protocol { window = 4, progress-interval = 8 }")));
        Assert.Contains("hybridspike.mesh.protocol.progress-interval", e.Message);
    }

    [Fact]
    public void A_window_that_is_not_a_number_is_refused_naming_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => StepProtocolSettings.FromConfig(ConfigurationFactory.ParseString("hybridspike.mesh.protocol.window = lots")));
        Assert.Contains("hybridspike.mesh.protocol.window", e.Message);
    }
}
