using Akka.Configuration;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Recovery;

namespace HybridSpike.Actors.Tests.Runtime.Recovery;

public class RecoverySettingsTests
{
    [Fact]
    public void The_default_takes_a_recovery_point_every_thousand_mesh_steps() =>
        Assert.Equal(1000, RecoverySettings.FromConfig(Config.Empty).SnapshotInterval);

    [Fact]
    public void Zero_turns_recovery_off() =>
        Assert.False(RecoverySettings.FromConfig(ConfigurationFactory.ParseString("hybridspike.mesh.recovery.snapshot-interval = 0")).Enabled);

    [Fact]
    public void A_negative_interval_is_refused_naming_its_key()
    {
        var e = Assert.Throws<ArgumentException>(() => RecoverySettings.FromConfig(ConfigurationFactory.ParseString("hybridspike.mesh.recovery.snapshot-interval = -5")));
        Assert.Contains("hybridspike.mesh.recovery.snapshot-interval", e.Message);
    }

    [Fact]
    public void A_value_that_is_not_a_number_is_refused_naming_its_key()
    {
        var e = Assert.Throws<ArgumentException>(() => RecoverySettings.FromConfig(ConfigurationFactory.ParseString("hybridspike.mesh.recovery.snapshot-interval = often")));
        Assert.Contains("hybridspike.mesh.recovery.snapshot-interval: not an integer (often)", e.Message);
    }

    [Fact]
    public void A_runs_own_interval_overrides_the_configuration()
    {
        using var system = Akka.Actor.ActorSystem.Create("settings", "hybridspike.mesh.recovery.snapshot-interval = 7");
        Assert.Equal(7, RecoverySettings.For(system, MeshRunOptions.Local).SnapshotInterval);
        Assert.Equal(40, RecoverySettings.For(system, MeshRunOptions.Local.WithSnapshotInterval(40)).SnapshotInterval);
    }

    [Fact]
    public void Run_options_refuse_a_negative_interval_and_limit() =>
        Assert.Equal(2, MeshRunOptions.Local.WithSnapshotInterval(-1).WithMaxCoresPerNode(-1).Validate().Count);
}
