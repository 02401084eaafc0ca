namespace HybridSpike.Actors.Runtime;

/// <summary>
/// How a mesh run is carried out, beyond the compiled mesh itself. An immutable value;
/// <see cref="Default"/> is the plain run. From F#: <c>MeshRunOptions(Shuffle = DeliveryShuffle(7UL))</c>.
/// </summary>
/// <param name="Shuffle">Scramble the order in which every core receives its messages (null: as Akka delivers them).</param>
/// <param name="Timeout">Fail a run that has not finished by then with a <see cref="TimeoutException"/> (null: wait until it finishes or is cancelled).</param>
public sealed record MeshRunOptions(DeliveryShuffle? Shuffle = null, TimeSpan? Timeout = null)
{
    public static MeshRunOptions Default { get; } = new();

    /// <summary>Every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        if (Shuffle is { MaxHold: < 0 or > DeliveryShuffle.MaxHoldLimit } s)
            e.Add($"shuffle.maxHold: must be in 0..{DeliveryShuffle.MaxHoldLimit}, got {s.MaxHold}");
        if (Timeout is { } t && t <= TimeSpan.Zero) e.Add($"timeout: must be positive, got {t}");
        return e;
    }
}

/// <summary>
/// A seeded perturbation of message delivery, for tests and for studying robustness: each core's
/// incoming messages (its sources' payloads and the input) pass through a small actor that holds
/// them and releases them one at a time, a random held one each time, after putting each release
/// back behind the messages then waiting a random 0..<see cref="MaxHold"/> times. Arrival order
/// across sources and steps is scrambled (the input of later steps overtakes earlier ones, a fast
/// source's next step overtakes a slow one's current step) and nothing is lost: every message gets
/// exactly one release. The seed fixes the shufflers' choices; the threads' timing still varies from
/// run to run, so two runs with one seed need not see the same order. The spikes must not change:
/// the mesh's arithmetic does not depend on arrival order (docs/mesh.md).
/// </summary>
/// <param name="Seed">Seeds each core's shuffler (SplitMix64, one sub-stream per core).</param>
/// <param name="MaxHold">Most times a release is put back before it happens; larger holds messages longer (0 still picks a random held message).</param>
public sealed record DeliveryShuffle(ulong Seed, int MaxHold = 4)
{
    /// <summary>The largest <see cref="MaxHold"/> accepted.</summary>
    public const int MaxHoldLimit = 1000;
}
