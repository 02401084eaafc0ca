using System.Collections.Immutable;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Dynamics;

public class CoreStepTests
{
    /// <summary>
    /// input (2) → a (6, tanh, ω 3, v₀ uniform) → b (4, linear, ω 2, one-step recurrence, v₀ uniform) → out (3, non-spiking),
    /// plus a one-step connection a → a: both recurrences go through the state's delayed payloads.
    /// </summary>
    private static FixedPointNetwork Network()
    {
        var g = new SplitMix64(21);
        FixedPointWeights W(int rows, int cols, int exponent) =>
            new(rows, cols, [.. Enumerable.Range(0, rows * cols).Select(_ => g.NextInt(31) - 15)], [.. Enumerable.Repeat(exponent, rows)]);
        var weights = ImmutableArray.Create(W(6, 2, -3), W(6, 6, -6), W(4, 6, -4), W(4, 4, -6), W(3, 4, -4));
        Connection C(string s, string t, FixedPointWeights w, Delay d) =>
            new(s, t, new DenseWeights(Matrix.Create(w.Targets, w.Sources, (i, j) => FixedPoint.Value(w.Mantissa(i, j), w.RowExponents[i]))), d);
        var net = new NetworkDescription(
            [new Population("a", 6, Activation.Tanh, 3, [0.25, 0, -0.5, 0.125, 0, 0.5], InitialStateMode.Uniform, 5),
             new Population("b", 4, Activation.Linear, 2, [], InitialStateMode.Uniform, 6),
             new Population("out", 3, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [C("input", "a", weights[0], Delay.SameStep), C("a", "a", weights[1], Delay.OneStep), C("a", "b", weights[2], Delay.SameStep),
             C("b", "b", weights[3], Delay.OneStep), C("b", "out", weights[4], Delay.SameStep)],
            new InputMapping(2, "test"), new OutputMapping("out", OutputMapping.LastStep));
        return new FixedPointNetwork(net, weights);
    }

    /// <summary>Every population as one core with its slots, stepped by <see cref="CoreStep"/> only.</summary>
    private sealed class Cores
    {
        private readonly ImmutableArray<CorePlan> _plans;
        private readonly StepScratch[] _scratch;

        public Cores(FixedPointNetwork net, int slots) : this(CorePlan.ForPopulations(net, false), null, slots) { }

        private Cores(ImmutableArray<CorePlan> plans, CoreState[]? states, int slots)
        {
            _plans = plans;
            _scratch = [.. plans.Select(p => new StepScratch(p))];
            States = states ?? [.. plans.Select(p => CoreState.Initial(p, slots))];
        }

        public CoreState[] States { get; }

        /// <summary>One step of <paramref name="slots"/> with inputs [k, dim]; returns every population's payloads [k, unit].</summary>
        public long[][] Step(int[] slots, double[] inputs)
        {
            var input = inputs.Select(FixedPoint.Payload).ToArray();
            var payloads = _plans.Select(p => new long[slots.Length * p.Count]).ToArray();
            for (int pi = 0; pi < _plans.Length; pi++)
            {
                var arrivals = _plans[pi].Incoming.Select(c => c.OneStep ? null : c.Source < 0 ? input : payloads[c.Source]).ToArray();
                CoreStep.Run(_plans[pi], States[pi], slots, arrivals, payloads[pi], default, default, _scratch[pi], default);
            }
            for (int pi = 0; pi < _plans.Length; pi++)
                foreach (var ci in _plans[pi].OneStepConnections)
                {
                    int source = _plans[pi].Incoming[ci].Source;
                    CoreStep.Deliver(_plans[pi], States[pi], ci, slots, source < 0 ? input : payloads[source]);
                }
            return payloads;
        }

        public Cores Restored(IEnumerable<CoreSnapshot> snapshots) =>
            new(_plans, [.. _plans.Zip(snapshots, CoreState.FromSnapshot)], 0);
    }

    private static double[][] Sequence(ulong seed, int steps)
    {
        var g = new SplitMix64(seed);
        return [.. Enumerable.Range(0, steps).Select(_ => new[] { g.NextInt(65) / 64.0, g.NextInt(65) / 64.0 - 0.5 })];
    }

    private static List<long[]> Alone(double[][] sequence)
    {
        var cores = new Cores(Network(), 1);
        return [.. sequence.Select(x => cores.Step([0], x)[2])];
    }

    [Fact]
    public void A_steps_graded_payloads_are_its_nonzero_payloads_other_than_plus_one()
    {
        // Population "a" (tanh, ω 3) over two slots: counts of 1 travel key-only, every other nonzero one with its payload.
        var plan = CorePlan.ForPopulations(Network(), false)[0];
        var state = CoreState.Initial(plan, 2);
        var scratch = new StepScratch(plan);
        var payloads = new long[2 * plan.Count];
        var seen = new List<long>();
        long counted = 0, expected = 0;
        foreach (var x in Sequence(3, 30))
        {
            var input = x.Concat(x.Select(v => -v)).Select(FixedPoint.Payload).ToArray();
            var arrivals = plan.Incoming.Select(c => c.OneStep ? null : input).ToArray();
            counted += CoreStep.Run(plan, state, [0, 1], arrivals, payloads, default, default, scratch, default).GradedPayloads;
            expected += payloads.Count(v => v != 0 && v != 1);
            seen.AddRange(payloads);
            foreach (var ci in plan.OneStepConnections) CoreStep.Deliver(plan, state, ci, [0, 1], payloads);
        }
        Assert.Contains(1L, seen);
        Assert.Contains(seen, v => v != 0 && v != 1);
        Assert.Equal(expected, counted);
    }

    [Fact]
    public void Each_slots_graded_payloads_add_up_to_the_steps()
    {
        var plan = CorePlan.ForPopulations(Network(), false)[0];
        var state = CoreState.Initial(plan, 2);
        var scratch = new StepScratch(plan);
        var payloads = new long[2 * plan.Count];
        var perSlot = new StepCounts[2];
        foreach (var x in Sequence(4, 10))
        {
            var input = x.Concat(x.Select(v => -v)).Select(FixedPoint.Payload).ToArray();
            var arrivals = plan.Incoming.Select(c => c.OneStep ? null : input).ToArray();
            var all = CoreStep.Run(plan, state, [0, 1], arrivals, payloads, default, default, scratch, perSlot);
            Assert.Equal(all.GradedPayloads, perSlot[0].GradedPayloads + perSlot[1].GradedPayloads);
            foreach (var ci in plan.OneStepConnections) CoreStep.Deliver(plan, state, ci, [0, 1], payloads);
        }
    }

    [Fact]
    public void A_slot_that_is_not_stepped_keeps_its_state()
    {
        var cores = new Cores(Network(), 2);
        var before = cores.States.Select(s => s.Snapshot()).ToArray();
        foreach (var x in Sequence(2, 10)) cores.Step([0], x);
        var slot1Before = before.Select(s => Slot(s, 1)).ToArray();
        var slot1After = cores.States.Select(s => Slot(s.Snapshot(), 1)).ToArray();
        Assert.Equal(slot1Before, slot1After);
    }

    [Fact]
    public void A_stream_interleaved_with_another_gives_the_outputs_it_gives_alone()
    {
        var a = Sequence(3, 30);
        var b = Sequence(4, 17);
        var cores = new Cores(Network(), 2);
        var outA = new List<long[]>();
        var outB = new List<long[]>();
        int ia = 0, ib = 0;
        var schedule = new SplitMix64(5);
        while (ia < a.Length || ib < b.Length)
        {
            // Each step: A alone, B alone, or both (in either slot order).
            int pick = schedule.NextInt(4);
            bool stepA = ia < a.Length && (pick != 1 || ib >= b.Length), stepB = ib < b.Length && (pick != 0 || ia >= a.Length);
            int[] slots = stepA && stepB ? (pick == 3 ? [1, 0] : [0, 1]) : stepA ? [0] : [1];
            var inputs = slots.SelectMany(s => s == 0 ? a[ia] : b[ib]).ToArray();
            var payloads = cores.Step(slots, inputs)[2];
            for (int k = 0; k < slots.Length; k++)
                (slots[k] == 0 ? outA : outB).Add(payloads[(k * 3)..(k * 3 + 3)]);
            if (stepA) ia++;
            if (stepB) ib++;
        }
        Assert.Equal(Alone(a), outA);
        Assert.Equal(Alone(b), outB);
    }

    [Fact]
    public void A_state_restored_from_a_snapshot_continues_exactly()
    {
        var sequence = Sequence(6, 50);
        var cores = new Cores(Network(), 1);
        for (int t = 0; t < 20; t++) cores.Step([0], sequence[t]);
        var restored = cores.Restored(cores.States.Select(s => s.Snapshot()).ToArray());
        for (int t = 20; t < 50; t++)
            Assert.Equal(cores.Step([0], sequence[t])[2], restored.Step([0], sequence[t])[2]);
    }

    [Fact]
    public void A_reset_slot_starts_over_as_a_fresh_stream()
    {
        var sequence = Sequence(7, 25);
        var cores = new Cores(Network(), 1);
        foreach (var x in Sequence(8, 13)) cores.Step([0], x);
        foreach (var s in cores.States) s.Reset(0);
        Assert.Equal(Alone(sequence), [.. sequence.Select(x => cores.Step([0], x)[2])]);
    }

    [Fact]
    public void A_snapshot_of_the_wrong_size_is_refused_naming_what_does_not_fit()
    {
        var plan = CorePlan.ForPopulations(Network(), false)[1];
        var snapshot = CoreState.Initial(plan, 2).Snapshot();
        var e = Assert.Throws<ArgumentException>(() => CoreState.FromSnapshot(plan, snapshot with { Quantizer = snapshot.Quantizer.RemoveAt(0) }));
        Assert.Contains("quantizer states", e.Message);
    }

    [Fact]
    public void A_clone_evolves_on_its_own()
    {
        var cores = new Cores(Network(), 1);
        var clone = cores.States[0].Clone();
        foreach (var x in Sequence(9, 5)) cores.Step([0], x);
        Assert.False(clone.Snapshot().SameAs(cores.States[0].Snapshot()));
    }

    /// <summary>One slot's part of a snapshot: its quantizer states and delayed payloads.</summary>
    private static string Slot(CoreSnapshot s, int slot)
    {
        int units = s.Quantizer.Length / s.Slots;
        var parts = new List<long>(s.Quantizer.Skip(slot * units).Take(units));
        foreach (var d in s.Delayed.Where(d => d.Length > 0))
        {
            int size = d.Length / s.Slots;
            parts.AddRange(d.Skip(slot * size).Take(size));
        }
        return string.Join(",", parts);
    }
}
