using System.Runtime.CompilerServices;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Dynamics;

/// <summary>What a step did, for telemetry: counted over the slots it stepped.</summary>
/// <param name="SynapticEvents">Nonzero payloads meeting nonzero weights (docs/mesh.md).</param>
/// <param name="Spikes">Σ|n| over the units (quantized populations; 0 otherwise).</param>
/// <param name="NonzeroPayloads">Payloads that are not zero: the packets the step sends to each destination.</param>
/// <param name="GradedPayloads">
/// Of <paramref name="NonzeroPayloads"/>, those other than +1: packets that must carry their value (SpiNNaker's 72-bit
/// packets with a payload). A +1 is a plain spike: its key alone says which unit fired (a 40-bit packet).
/// </param>
public readonly record struct StepCounts(long SynapticEvents, long Spikes, long NonzeroPayloads, long GradedPayloads);

/// <summary>Scratch a core's steps reuse (sized for one plan), so that a step allocates nothing.</summary>
public sealed class StepScratch
{
    internal readonly double[] X, Fx, Activity;
    internal readonly long[] Sums;
    internal readonly int[] Counts;

    public StepScratch(CorePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        X = new double[plan.Count];
        Fx = new double[plan.Count];
        Activity = new double[plan.Count];
        Sums = new long[plan.Count];
        Counts = new int[plan.Count];
    }
}

/// <summary>
/// The one step of a core, shared by the fixed-point golden simulator and every mesh core: for each
/// stepped slot s (the slots that have input this step),
/// <code>
///   x_i   = bias_i + Σ_c acc_c,i · 2^(e_c,i) · scale_c      acc_c,i = Σ_j m_c,ij · payload_c,j   (int64, exact)
///   payload_c = this step's source payloads (same-step c), or the slot's delayed ones (one-step c)
///   (a connection from a send-on-delta source: acc_c,i summed over the slot's steps, in its state)
///   quantized: the population's quantizer on f(x), integer states → payload n, activity n/ω (or L/ω);  otherwise payload round(f(x)·2^16), activity f(x)
/// </code>
/// (<see cref="FixedPoint.UnitsStep"/>; connections in network order). A pure function of (plan, state, arrivals)
/// to (payloads, next state), with the state advanced in place. A slot that is not stepped is not touched:
/// a stream's state advances only on steps where it has input. Then <see cref="Deliver"/> hands each one-step
/// connection its source's payloads of this step, to be read at the slot's next step.
/// </summary>
public static class CoreStep
{
    /// <summary>
    /// Steps <paramref name="slots"/> (distinct, in any order). <paramref name="arrivals"/>[c] holds same-step connection
    /// c's source payloads of this step, [k, source unit] for the k-th stepped slot (one-step entries are not read:
    /// the state holds them). Writes <paramref name="payloads"/> [k, unit]; <paramref name="counts"/> [k, unit] when not
    /// empty (quantized populations); <paramref name="activity"/> [k, unit] when not empty; each slot's own counts into
    /// <paramref name="perSlot"/>[k] when not empty (telemetry by stream step). Returns the counts over all stepped slots.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepCounts Run(CorePlan plan, CoreState state, ReadOnlySpan<int> slots, ReadOnlySpan<long[]?> arrivals,
        Span<long> payloads, Span<int> counts, Span<double> activity, StepScratch scratch, Span<StepCounts> perSlot)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(scratch);
        int n = plan.Count, active = slots.Length;
        if (arrivals.Length != plan.Incoming.Length) throw new ArgumentException($"{arrivals.Length} arrivals for {plan.Incoming.Length} incoming connections", nameof(arrivals));
        if (payloads.Length != active * n) throw new ArgumentException($"payloads hold {payloads.Length}; {active} slots x {n} units need {active * n}", nameof(payloads));
        if (!counts.IsEmpty && counts.Length != active * n) throw new ArgumentException($"counts hold {counts.Length}; {active * n} needed", nameof(counts));
        if (!activity.IsEmpty && activity.Length != active * n) throw new ArgumentException($"activity holds {activity.Length}; {active * n} needed", nameof(activity));
        if (!perSlot.IsEmpty && perSlot.Length != active) throw new ArgumentException($"per-slot counts hold {perSlot.Length}; {active} needed", nameof(perSlot));
        for (int ci = 0; ci < plan.Incoming.Length; ci++)
        {
            var c = plan.Incoming[ci];
            if (!c.OneStep && (arrivals[ci] is not { } a || a.Length < active * c.SourceSize))
                throw new ArgumentException($"connection {ci}: this step's source payloads for {active} slots x {c.SourceSize} are missing", nameof(arrivals));
        }
        var p = plan.Population;
        var x = scratch.X.AsSpan();
        var sums = scratch.Sums.AsSpan();
        long events = 0, spikes = 0, nonzero = 0, graded = 0;
        for (int k = 0; k < active; k++)
        {
            int slot = slots[k];
            long eventsBefore = events, spikesBefore = spikes, nonzeroBefore = nonzero, gradedBefore = graded;
            if ((uint)slot >= (uint)state.Slots) throw new ArgumentOutOfRangeException(nameof(slots), slot, $"the state has slots 0..{state.Slots - 1}");
            if (p.Bias.IsDefaultOrEmpty) x.Clear();
            else p.Bias.AsSpan(plan.Start, n).CopyTo(x);
            for (int ci = 0; ci < plan.Incoming.Length; ci++)
            {
                var c = plan.Incoming[ci];
                ReadOnlySpan<long> src = c.OneStep ? state.Delayed(ci, slot) : arrivals[ci].AsSpan(k * c.SourceSize, c.SourceSize);
                events += c.Weights.Accumulate(src, sums);
                if (c.Integrates)
                {
                    // The source sent changes of its level: the running sum of W·n is W·L, exact in int64.
                    var total = state.Integrated(ci, slot);
                    for (int i = 0; i < total.Length; i++) total[i] = checked(total[i] + sums[i]);
                    FixedPoint.AddContributions(total, c.RowScales, c.SourceOmega, x);
                }
                else FixedPoint.AddContributions(sums, c.RowScales, c.SourceOmega, x);
            }
            var outPayloads = payloads.Slice(k * n, n);
            var outActivity = activity.IsEmpty ? scratch.Activity.AsSpan() : activity.Slice(k * n, n);
            var outCounts = counts.IsEmpty ? scratch.Counts.AsSpan() : counts.Slice(k * n, n);
            try
            {
                FixedPoint.UnitsStep(p.Activation, p.Omega, p.Quantizer, plan.Start, x, scratch.Fx, state.Quantizer(slot), outPayloads, outActivity, outCounts);
            }
            catch (OverflowException e)
            {
                // Which population overflowed is what the user needs to find the weights or biases at fault.
                throw new OverflowException($"population '{p.Name}': {e.Message}", e);
            }
            foreach (var v in outPayloads)
                if (v != 0)
                {
                    nonzero++;
                    spikes += Math.Abs(v);
                    if (v != 1) graded++;
                }
            if (!perSlot.IsEmpty) perSlot[k] = new StepCounts(events - eventsBefore, p.IsQuantized ? spikes - spikesBefore : 0, nonzero - nonzeroBefore, graded - gradedBefore);
        }
        return new StepCounts(events, p.IsQuantized ? spikes : 0, nonzero, graded);
    }

    /// <summary>
    /// One-step connection <paramref name="connection"/>'s source payloads of this step, [k, source unit] for the k-th
    /// of <paramref name="slots"/>, kept for those slots' next step. Called after this step's <see cref="Run"/>.
    /// </summary>
    public static void Deliver(CorePlan plan, CoreState state, int connection, ReadOnlySpan<int> slots, ReadOnlySpan<long> payloads)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(state);
        if ((uint)connection >= (uint)plan.Incoming.Length || !plan.Incoming[connection].OneStep)
            throw new ArgumentException($"connection {connection} is not a one-step connection of the core", nameof(connection));
        int size = plan.Incoming[connection].SourceSize;
        if (payloads.Length != slots.Length * size) throw new ArgumentException($"payloads hold {payloads.Length}; {slots.Length} slots x {size} need {slots.Length * size}", nameof(payloads));
        for (int k = 0; k < slots.Length; k++) payloads.Slice(k * size, size).CopyTo(state.Delayed(connection, slots[k]));
    }
}
