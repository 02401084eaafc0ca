using System.Collections.Immutable;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Dynamics;

/// <summary>
/// Everything a core carries from one step to the next, per stream slot: its units' integer quantizer states,
/// for every one-step (recurrent) incoming connection the source payloads the slot will read at its
/// next step, and for every connection from a send-on-delta source the integrated sums. Nothing else survives a step boundary, so a core's state at a boundary is exactly this, and
/// a fresh core given it (<see cref="FromSnapshot"/>) continues exactly.
/// <para>
/// Explicitly copyable rather than immutable: <see cref="CoreStep.Run"/> advances it in place (a copy per
/// step would cost as much as the step); <see cref="Snapshot"/> and <see cref="Clone"/> copy it.
/// </para>
/// </summary>
public sealed class CoreState
{
    private readonly CorePlan _plan;
    private readonly long[] _quantizer;      // [slot, unit]
    private readonly long[]?[] _delayed;     // per incoming connection (one-step ones only): [slot, source unit]
    private readonly long[]?[] _integrated;  // per incoming connection (integrating ones only): [slot, unit]

    private CoreState(CorePlan plan, int slots, long[] quantizer, long[]?[] delayed, long[]?[] integrated)
    {
        _plan = plan;
        Slots = slots;
        _quantizer = quantizer;
        _delayed = delayed;
        _integrated = integrated;
    }

    /// <summary>Stream slots: independent streams the core steps side by side.</summary>
    public int Slots { get; }

    /// <summary>Every slot as a fresh stream would find it: Q32 states at v₀ (<see cref="FixedPoint.InitialState"/>), no delayed payloads.</summary>
    public static CoreState Initial(CorePlan plan, int slots)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var q = new long[slots * plan.Count];
        for (int s = 0; s < slots; s++) plan.InitialStates.CopyTo(q, s * plan.Count);
        var delayed = new long[]?[plan.Incoming.Length];
        foreach (var ci in plan.OneStepConnections) delayed[ci] = new long[slots * plan.Incoming[ci].SourceSize];
        var integrated = new long[]?[plan.Incoming.Length];
        foreach (var ci in plan.IntegratingConnections) integrated[ci] = new long[slots * plan.Count];
        return new CoreState(plan, slots, q, delayed, integrated);
    }

    /// <summary>Slot <paramref name="slot"/> back to <see cref="Initial"/>: a new stream starts there.</summary>
    public void Reset(int slot)
    {
        CheckSlot(slot);
        _plan.InitialStates.CopyTo(_quantizer.AsSpan(slot * _plan.Count, _plan.Count));
        foreach (var ci in _plan.OneStepConnections)
        {
            int size = _plan.Incoming[ci].SourceSize;
            Array.Clear(_delayed[ci]!, slot * size, size);
        }
        foreach (var ci in _plan.IntegratingConnections) Array.Clear(_integrated[ci]!, slot * _plan.Count, _plan.Count);
    }

    /// <summary>The units' Q32 states of <paramref name="slot"/>, written by the step.</summary>
    internal Span<long> Quantizer(int slot) => _quantizer.AsSpan(slot * _plan.Count, _plan.Count);

    /// <summary>The payloads of one-step connection <paramref name="connection"/> that <paramref name="slot"/> reads at its next step.</summary>
    internal Span<long> Delayed(int connection, int slot)
    {
        int size = _plan.Incoming[connection].SourceSize;
        return _delayed[connection].AsSpan(slot * size, size);
    }

    /// <summary>The integrated sums of integrating connection <paramref name="connection"/> for <paramref name="slot"/>, one per unit.</summary>
    internal Span<long> Integrated(int connection, int slot) => _integrated[connection].AsSpan(slot * _plan.Count, _plan.Count);

    /// <summary>A copy that evolves on its own.</summary>
    public CoreState Clone() => new(_plan, Slots, (long[])_quantizer.Clone(), [.. _delayed.Select(d => (long[]?)d?.Clone())],
        [.. _integrated.Select(d => (long[]?)d?.Clone())]);

    /// <summary>The state as immutable values (for the wire and for comparing two cores).</summary>
    public CoreSnapshot Snapshot() => new(Slots, [.. _quantizer],
        [.. _delayed.Select(d => d is null ? ImmutableArray<long>.Empty : ImmutableArray.Create(d))],
        [.. _integrated.Select(d => d is null ? ImmutableArray<long>.Empty : ImmutableArray.Create(d))]);

    /// <summary>The state a snapshot describes, for a core of <paramref name="plan"/>; the error names what does not fit.</summary>
    public static CoreState FromSnapshot(CorePlan plan, CoreSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Slots <= 0) throw new ArgumentException($"core snapshot: {snapshot.Slots} slots must be positive");
        if (snapshot.Quantizer.Length != snapshot.Slots * plan.Count)
            throw new ArgumentException($"core snapshot: {snapshot.Quantizer.Length} quantizer states; {snapshot.Slots} slots x {plan.Count} units need {snapshot.Slots * plan.Count}");
        if (snapshot.Delayed.Length != plan.Incoming.Length)
            throw new ArgumentException($"core snapshot: delayed payloads for {snapshot.Delayed.Length} connections; the core has {plan.Incoming.Length}");
        var delayed = new long[]?[plan.Incoming.Length];
        for (int ci = 0; ci < plan.Incoming.Length; ci++)
        {
            int expected = plan.Incoming[ci].OneStep ? snapshot.Slots * plan.Incoming[ci].SourceSize : 0;
            if (snapshot.Delayed[ci].Length != expected)
                throw new ArgumentException($"core snapshot: connection {ci} has {snapshot.Delayed[ci].Length} delayed payloads, {expected} expected");
            if (plan.Incoming[ci].OneStep) delayed[ci] = [.. snapshot.Delayed[ci]];
        }
        if (snapshot.Integrated.Length != plan.Incoming.Length)
            throw new ArgumentException($"core snapshot: integrated sums for {snapshot.Integrated.Length} connections; the core has {plan.Incoming.Length}");
        var integrated = new long[]?[plan.Incoming.Length];
        for (int ci = 0; ci < plan.Incoming.Length; ci++)
        {
            int expected = plan.Incoming[ci].Integrates ? snapshot.Slots * plan.Count : 0;
            if (snapshot.Integrated[ci].Length != expected)
                throw new ArgumentException($"core snapshot: connection {ci} has {snapshot.Integrated[ci].Length} integrated sums, {expected} expected");
            if (plan.Incoming[ci].Integrates) integrated[ci] = [.. snapshot.Integrated[ci]];
        }
        return new CoreState(plan, snapshot.Slots, [.. snapshot.Quantizer], delayed, integrated);
    }

    private void CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"the core has slots 0..{Slots - 1}");
    }
}

/// <summary>
/// A core's <see cref="CoreState"/> as values: quantizer states [slot, unit] and, per incoming connection, the delayed
/// payloads [slot, source unit] (empty for same-step connections) and the integrated sums [slot, unit] (empty unless
/// the source sends changes).
/// </summary>
public sealed record CoreSnapshot(int Slots, ImmutableArray<long> Quantizer, ImmutableArray<ImmutableArray<long>> Delayed, ImmutableArray<ImmutableArray<long>> Integrated)
{
    /// <summary>Value equality over the contents (a record compares arrays by reference).</summary>
    public bool SameAs(CoreSnapshot other) =>
        other is not null && Slots == other.Slots && Quantizer.SequenceEqual(other.Quantizer)
        && Same(Delayed, other.Delayed) && Same(Integrated, other.Integrated);

    private static bool Same(ImmutableArray<ImmutableArray<long>> a, ImmutableArray<ImmutableArray<long>> b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));
}
