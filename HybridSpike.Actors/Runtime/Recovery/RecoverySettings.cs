using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Runtime.Protocol;

namespace HybridSpike.Actors.Runtime.Recovery;

/// <summary>
/// How a deployment over several nodes survives losing one (docs/cluster.md): every <paramref name="SnapshotInterval"/>
/// mesh steps a recovery point (0: none, and a lost node ends the run). Read from <c>hybridspike.mesh.recovery</c>
/// (defaults in the runtime's reference.conf); a run's <see cref="MeshRunOptions.SnapshotInterval"/> overrides it.
/// </summary>
public sealed record RecoverySettings(int SnapshotInterval)
{
    /// <summary>The settings of <paramref name="system"/>'s configuration, with the run's override if it has one.</summary>
    public static RecoverySettings For(ActorSystem system, MeshRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SnapshotInterval is { } k) return new RecoverySettings(k);
        return FromConfig(system.Settings.Config.WithFallback(StepProtocolSettings.ReferenceConfig));
    }

    /// <summary>Reads <c>hybridspike.mesh.recovery</c>; a bad value's error names its key.</summary>
    public static RecoverySettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string key = "hybridspike.mesh.recovery.snapshot-interval";
        config = config.WithFallback(StepProtocolSettings.ReferenceConfig);
        int k;
        try { k = config.GetInt(key); }
        catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException)
        {
            throw new ArgumentException($"{key}: not an integer ({config.GetString(key)})", e);
        }
        if (k < 0) throw new ArgumentException($"{key}: must be 0 (no recovery) or a number of mesh steps, got {k}");
        return new RecoverySettings(k);
    }

    /// <summary>Recovery points are taken (a lost node is recovered from, not the end of the run).</summary>
    public bool Enabled => SnapshotInterval > 0;
}
