using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Core.Metrics;
using HybridSpike.Core.Network;

namespace HybridSpike.Core.Tests.Metrics;

public class ActivityAccumulatorTests
{
    private static ActivityAccumulator Worked()
    {
        var a = new ActivityAccumulator("h", 2, isQuantized: true, isSigned: true, fanOut: [2, 3]);
        a.Add(MetricsNetworks.WorkedCounts, samples: 2, steps: 2);
        return a;
    }

    [Fact]
    public void The_totals_of_the_worked_example_are_the_hand_sums()
    {
        var t = Worked().Totals();
        Assert.Equal(2, t.Samples);
        Assert.Equal(4, t.SampleSteps);
        Assert.Equal(8, t.Entries);
        Assert.Equal(11, t.SumMagnitude);          // 3 + 1 + 2 + 5
        Assert.Equal(4, t.Nonzero);
        Assert.Equal(4, t.Zeros);
        Assert.Equal([3L, 5L], t.MaxMagnitude.ToArray());
        Assert.Equal(10, t.SynapticEvents);        // unit 0 twice × 2, unit 1 twice × 3
        Assert.Equal(18, t.WeightedSignificantBits); // 2·sb(3) + 2·sb(1) + 3·sb(2) + 3·sb(5) = 4 + 2 + 3 + 9
        Assert.Equal(5, t.Synapses);
    }

    [Fact]
    public void Spikes_per_unit_per_step_and_the_zero_fraction_are_means_over_units_steps_and_samples()
    {
        var m = PopulationMetrics.From(Worked().Totals());
        Assert.Equal(11.0 / 8, m.SpikesPerUnitPerStep!.Value, 12);
        Assert.Equal(0.5, m.ZeroFraction!.Value, 12);
    }

    [Fact]
    public void Activity_bits_use_each_units_largest_magnitude_plus_a_sign_bit()
    {
        var m = PopulationMetrics.From(Worked().Totals());
        Assert.Equal((Math.Log2(4) + Math.Log2(6)) / 2 + 1, m.ActivityBits!.Value, 12);
        Assert.Equal(5L, m.MaxMagnitude);

        var unsigned = new ActivityAccumulator("r", 2, isQuantized: true, isSigned: false, fanOut: [1, 1]);
        unsigned.Add([1, 0, 3, 0, 0, 1], samples: 1, steps: 3);
        Assert.Equal((Math.Log2(4) + Math.Log2(2)) / 2, PopulationMetrics.From(unsigned.Totals()).ActivityBits!.Value, 12);
    }

    [Fact]
    public void Activity_bits_per_sequence_take_each_sequences_own_maxima_then_average()
    {
        // The worked example: sequence 0's maxima are [3, 2], sequence 1's [0, 5] (docs/metrics.md).
        var t = Worked().Totals();
        Assert.Equal([KeyValuePair.Create(0L, 1L), KeyValuePair.Create(2L, 1L), KeyValuePair.Create(3L, 1L), KeyValuePair.Create(5L, 1L)], t.SequenceMaxima);
        var m = PopulationMetrics.From(t);
        Assert.Equal((Math.Log2(4) + Math.Log2(3) + Math.Log2(1) + Math.Log2(6)) / 4 + 1, m.ActivityBitsPerSequence!.Value, 12);
        // Over the whole set the maxima are [3, 5]: the per-sequence reading is never above it.
        Assert.True(m.ActivityBitsPerSequence < m.ActivityBits, $"{m.ActivityBitsPerSequence} per sequence, {m.ActivityBits} over the set");
    }

    [Fact]
    public void A_later_block_of_fewer_sequences_extends_the_first_ones_of_the_batch()
    {
        var a = new ActivityAccumulator("h", 1, isQuantized: true, isSigned: false, fanOut: [1]);
        a.Add([1, 2], samples: 2, steps: 1);            // step 0 of sequences 0 and 1: [1], [2]
        a.Add([7], samples: 1, steps: 1, firstStep: 1); // step 1 of sequence 0 only
        a.Add([4, 4], samples: 2, steps: 1);            // a new batch: its maxima are its own
        Assert.Equal([KeyValuePair.Create(2L, 1L), KeyValuePair.Create(4L, 2L), KeyValuePair.Create(7L, 1L)], a.Totals().SequenceMaxima);
    }

    [Fact]
    public void Significant_bits_and_synaptic_ops_are_weighted_by_each_units_fan_out()
    {
        // Unit 0 sends 1 (1 bit) to 3 synapses, unit 1 sends 5 (3 bits) to 1: (3·1 + 1·3) / 4 = 1.5,
        // where the unweighted mean would be 2.
        var a = new ActivityAccumulator("h", 2, isQuantized: true, isSigned: false, fanOut: [3, 1]);
        a.AddStep([1, 5], samples: 1, step: 0);
        var m = PopulationMetrics.From(a.Totals());
        Assert.Equal(1.5, m.SignificantBits!.Value, 12);
        Assert.Equal(4.0, m.SpikingSynapticOpsPerStep, 12);
        Assert.Equal(4.0, m.DenseSynapticOpsPerStep, 12);

        // A unit without outgoing synapses multiplies no weight: its 5 (3 bits) does not count.
        var b = new ActivityAccumulator("h", 2, isQuantized: true, isSigned: false, fanOut: [0, 2]);
        b.AddStep([5, 2], samples: 1, step: 0);
        var n = PopulationMetrics.From(b.Totals());
        Assert.Equal(1.0, n.SignificantBits!.Value, 12);
        Assert.Equal(2.0, n.SpikingSynapticOpsPerStep, 12);
    }

    [Fact]
    public void Synaptic_ops_per_step_count_one_op_per_outgoing_synapse_of_each_nonzero_count_whatever_its_size()
    {
        var m = PopulationMetrics.From(Worked().Totals());
        Assert.Equal(10.0 / 4, m.SpikingSynapticOpsPerStep, 12);
        Assert.Equal(5.0, m.DenseSynapticOpsPerStep, 12);
        Assert.Equal(2, m.NeuronUpdatesPerStep);
    }

    [Fact]
    public void A_population_whose_counts_never_reach_a_synapse_has_no_significant_bits()
    {
        var a = new ActivityAccumulator("out", 2, isQuantized: true, isSigned: false, fanOut: [0, 0]);
        a.AddStep([3, 1], samples: 1, step: 0);
        Assert.Null(PopulationMetrics.From(a.Totals()).SignificantBits);
    }

    [Fact]
    public void A_non_quantized_population_counts_only_sequences_and_steps_and_is_dense()
    {
        var a = new ActivityAccumulator("m", 3, isQuantized: false, isSigned: true, fanOut: [1, 0, 2]);
        a.Add([], samples: 4, steps: 5);
        a.Add(new int[2 * 1 * 3], samples: 2, steps: 1, firstStep: 0); // counts may be passed; they are not used
        var t = a.Totals();
        Assert.Equal(6, t.Samples);
        Assert.Equal(22, t.SampleSteps);
        Assert.Equal(0, t.Entries);
        Assert.Empty(t.MaxMagnitude);
        var m = PopulationMetrics.From(t);
        Assert.Null(m.SpikesPerUnitPerStep);
        Assert.Null(m.ZeroFraction);
        Assert.Null(m.ActivityBits);
        Assert.Null(m.SignificantBits);
        Assert.Equal(3.0, m.SpikingSynapticOpsPerStep);
        Assert.Equal(3.0, m.DenseSynapticOpsPerStep);
    }

    [Fact]
    public void Counts_of_the_wrong_length_are_refused_with_the_population_named()
    {
        var q = new ActivityAccumulator("h", 2, isQuantized: true, isSigned: false, fanOut: [1, 1]);
        var e = Assert.Throws<ArgumentException>(() => q.Add(new int[5], samples: 1, steps: 2));
        Assert.Contains("population 'h'", e.Message);
        Assert.Contains("need 4", e.Message);
        Assert.Throws<ArgumentException>(() => q.AddStep([], samples: 1, step: 0));
        var n = new ActivityAccumulator("m", 2, isQuantized: false, isSigned: false, fanOut: [1, 1]);
        Assert.Throws<ArgumentException>(() => n.AddStep([1], samples: 1, step: 0));
        Assert.Throws<ArgumentException>(() => new ActivityAccumulator("h", 2, true, false, [1]));
        Assert.Throws<ArgumentException>(() => new ActivityAccumulator("h", 2, true, false, [1, -1]));
    }

    [Fact]
    public void Only_blocks_that_start_at_step_zero_count_new_sequences()
    {
        var a = new ActivityAccumulator("h", 1, isQuantized: true, isSigned: false, fanOut: [1]);
        for (int t = 0; t < 3; t++) a.AddStep([1, 0], samples: 2, step: t);
        a.Add([1, 1], samples: 1, steps: 2, firstStep: 3); // a later block of sequence 0
        var totals = a.Totals();
        Assert.Equal(2, totals.Samples);
        Assert.Equal(8, totals.SampleSteps);
    }

    [Fact]
    public void The_most_negative_count_is_counted_by_its_exact_magnitude()
    {
        var a = new ActivityAccumulator("h", 1, isQuantized: true, isSigned: true, fanOut: [2]);
        a.AddStep([int.MinValue], samples: 1, step: 0);
        var t = a.Totals();
        Assert.Equal(2_147_483_648L, t.SumMagnitude);
        Assert.Equal([2_147_483_648L], t.MaxMagnitude.ToArray());
        Assert.Equal(2, t.WeightedSignificantBits);
    }

    [Fact]
    public void The_accumulators_of_a_network_carry_its_sizes_quantization_signs_and_fan_outs()
    {
        var net = MetricsNetworks.Worked();
        var all = ActivityAccumulator.ForNetwork(net);
        Assert.Equal(["h", "m"], all.Select(a => a.Population));
        var h = all[0].Totals();
        Assert.True(h.IsQuantized);
        Assert.True(h.IsSigned);
        Assert.Equal([2, 3], h.FanOut.ToArray());
        var m = all[1].Totals();
        Assert.False(m.IsQuantized);
        Assert.Equal([1], m.FanOut.ToArray());
        Assert.Throws<KeyNotFoundException>(() => ActivityAccumulator.For(net, "nope"));
    }

    [Fact]
    public void Totals_of_different_populations_do_not_combine()
    {
        var a = new ActivityAccumulator("h", 2, true, false, [1, 1]).Totals();
        var b = new ActivityAccumulator("g", 2, true, false, [1, 1]).Totals();
        var c = new ActivityAccumulator("h", 2, true, false, [1, 2]).Totals();
        Assert.Throws<ArgumentException>(() => ActivityTotals.Combine(a, b));
        Assert.Throws<ArgumentException>(() => ActivityTotals.Combine(a, c));
    }

    public sealed record SplitCase(int Units, int Samples, int Steps, int[] FanOut, int[] Counts, int SplitSample, int SplitStep)
    {
        public override string ToString() =>
            $"U={Units} S={Samples} T={Steps} split at sample {SplitSample}, step {SplitStep}; fan-out [{string.Join(",", FanOut)}]; counts [{string.Join(",", Counts)}]";
    }

    private static Gen<int> CountGen() => Gen.Frequency(
        (4, Gen.Constant(0)),
        (4, Gen.Choose(-20, 20)),
        (1, Gen.Elements(int.MinValue, int.MaxValue, 1 << 20, -(1 << 20) + 3)));

    private static Gen<SplitCase> SplitCases() =>
        from units in Gen.Choose(1, 5)
        from samples in Gen.Choose(1, 4)
        from steps in Gen.Choose(1, 6)
        from fanOut in Gen.ArrayOf(Gen.Choose(0, 4), units)
        from counts in Gen.ArrayOf(CountGen(), samples * steps * units)
        from splitSample in Gen.Choose(0, samples)
        from splitStep in Gen.Choose(0, steps)
        select new SplitCase(units, samples, steps, fanOut, counts, splitSample, splitStep);

    /// <summary>The block [s0, s1) × [t0, t1) of counts laid out [sample, step, unit].</summary>
    private static int[] Block(SplitCase c, int s0, int s1, int t0, int t1)
    {
        var block = new List<int>();
        for (int s = s0; s < s1; s++)
            for (int t = t0; t < t1; t++)
                block.AddRange(c.Counts.AsSpan((s * c.Steps + t) * c.Units, c.Units));
        return [.. block];
    }

    [Property(MaxTest = 300)]
    public Property Feeding_the_same_counts_in_one_batch_or_split_across_batches_gives_identical_totals() =>
        Prop.ForAll(SplitCases().ToArbitrary(), c =>
        {
            ActivityAccumulator New() => new("h", c.Units, isQuantized: true, isSigned: true, c.FanOut);

            var whole = New();
            whole.Add(c.Counts, c.Samples, c.Steps);

            // Two batches of sequences, each fed as two blocks of steps.
            var blocks = New();
            foreach (var (s0, s1) in new[] { (0, c.SplitSample), (c.SplitSample, c.Samples) })
                foreach (var (t0, t1) in new[] { (0, c.SplitStep), (c.SplitStep, c.Steps) })
                    blocks.Add(Block(c, s0, s1, t0, t1), s1 - s0, t1 - t0, firstStep: t0);

            // One step of the whole batch at a time, as the golden simulator calls back.
            var perStep = New();
            for (int t = 0; t < c.Steps; t++) perStep.AddStep(Block(c, 0, c.Samples, t, t + 1), c.Samples, t);

            // Two workers, one per batch of sequences, combined.
            var first = New();
            var second = New();
            first.Add(Block(c, 0, c.SplitSample, 0, c.Steps), c.SplitSample, c.Steps);
            second.Add(Block(c, c.SplitSample, c.Samples, 0, c.Steps), c.Samples - c.SplitSample, c.Steps);
            var combined = ActivityTotals.Combine(first.Totals(), second.Totals());

            var expected = whole.Totals();
            return expected.Equals(blocks.Totals()) && expected.Equals(perStep.Totals()) && expected.Equals(combined)
                && expected.Samples == c.Samples && expected.SampleSteps == (long)c.Samples * c.Steps;
        });

    [Property(MaxTest = 200)]
    public Property The_totals_match_a_direct_computation_from_all_counts() =>
        Prop.ForAll(SplitCases().ToArbitrary(), c =>
        {
            var a = new ActivityAccumulator("h", c.Units, isQuantized: true, isSigned: false, c.FanOut);
            a.Add(c.Counts, c.Samples, c.Steps);
            var t = a.Totals();
            var magnitudes = c.Counts.Select((n, i) => (Unit: i % c.Units, Abs: Math.Abs((long)n))).ToList();
            var nonzero = magnitudes.Where(x => x.Abs != 0).ToList();
            long SigBits(long x) => Convert.ToString(x, 2).TrimEnd('0').Length;
            return t.SumMagnitude == magnitudes.Sum(x => x.Abs)
                && t.Nonzero == nonzero.Count
                && t.SynapticEvents == nonzero.Sum(x => (long)c.FanOut[x.Unit])
                && t.WeightedSignificantBits == nonzero.Sum(x => c.FanOut[x.Unit] * SigBits(x.Abs))
                && Enumerable.Range(0, c.Units).All(u => t.MaxMagnitude[u] == magnitudes.Where(x => x.Unit == u).Max(x => x.Abs))
                // Each (sequence, unit)'s largest magnitude within its sequence, counted by value.
                && t.SequenceMaxima.SequenceEqual(magnitudes.Select((x, i) => (Pair: (i / (c.Steps * c.Units), x.Unit), x.Abs))
                    .GroupBy(x => x.Pair, x => x.Abs).Select(g => g.Max()).GroupBy(m => m).OrderBy(g => g.Key)
                    .Select(g => KeyValuePair.Create(g.Key, (long)g.Count())));
        });
}
