using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class QuantizersTests
{
    /// <summary>Counts of one unit over the steps of <paramref name="fx"/> (float64), from the rule's initial state.</summary>
    private static (int[] Counts, double[] States) Run(QuantizerRule rule, double omega, double[] fx, int unit = 0)
    {
        var v = new double[unit + 1];
        Quantizers.InitialStates(rule, v, InitialStateMode.Zeros, 0);
        var mine = v.AsSpan(unit, 1);
        var n = new int[1];
        var counts = new int[fx.Length];
        var states = new double[fx.Length];
        for (int t = 0; t < fx.Length; t++)
        {
            Quantizers.Step(rule, mine, [fx[t]], omega, n, unit);
            counts[t] = n[0];
            states[t] = mine[0];
        }
        return (counts, states);
    }

    private static readonly Arbitrary<double> Omegas = Gen.Elements(0.5, 1.0, 2.0, 3.5, 8.0, 100.0).ToArbitrary();
    private static readonly Arbitrary<double[]> Activities = Gen.Choose(-1000, 1000).Select(i => i / 1000.0).ArrayOf().ToArbitrary();

    public static TheoryData<string> Rules => [.. Quantizers.Names];

    private static QuantizerRule Rule(string name) => name switch
    {
        "rounding" => new QuantizerRule.Rounding(),
        "stochastic" => new QuantizerRule.Stochastic(12345),
        "dithered" => new QuantizerRule.Dithered(678),
        "send-on-delta" => new QuantizerRule.SendOnDelta(1),
        _ => QuantizerRule.Default,
    };

    [Fact]
    public void Rounding_is_within_half_a_quantum_of_f_at_every_step() =>
        Prop.ForAll(Omegas, Activities, (omega, fx) =>
        {
            var (counts, _) = Run(new QuantizerRule.Rounding(), omega, fx);
            return fx.Select((f, t) => Math.Abs(counts[t] / omega - f) <= 0.5 / omega + 1e-12).All(ok => ok);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Rounding_carries_no_error_so_a_constant_below_half_a_quantum_never_fires()
    {
        var (counts, _) = Run(new QuantizerRule.Rounding(), 1, [.. Enumerable.Repeat(0.45, 100)]);
        Assert.All(counts, n => Assert.Equal(0, n));
    }

    [Fact]
    public void Dithered_is_within_one_quantum_of_f_at_every_step() =>
        Prop.ForAll(Omegas, Activities, Gen.Choose(0, 1000).Select(i => (ulong)i).ToArbitrary(), (omega, fx, seed) =>
        {
            var (counts, _) = Run(new QuantizerRule.Dithered(seed), omega, fx);
            return fx.Select((f, t) => Math.Abs(counts[t] / omega - f) < 1 / omega + 1e-12).All(ok => ok);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Dithered_units_round_at_their_own_fixed_offsets()
    {
        var v = new double[64];
        Quantizers.InitialStates(new QuantizerRule.Dithered(9), v, InitialStateMode.Zeros, 0);
        var before = v.ToArray();
        Quantizers.Step(new QuantizerRule.Dithered(9), v, new double[64], 3, new int[64], 0);
        Assert.Equal(before, v);                         // nothing carried between steps
        Assert.Equal(64, before.Distinct().Count());     // every unit its own offset
        Assert.All(before, d => Assert.InRange(d, 0, 1 - 1 / 4294967296.0));
    }

    [Fact]
    public void Stochastic_rounding_is_unbiased_over_many_steps()
    {
        const int steps = 20000;
        const double omega = 1, f = 0.3;
        var (counts, _) = Run(new QuantizerRule.Stochastic(7), omega, [.. Enumerable.Repeat(f, steps)]);
        double mean = counts.Average();
        double sigma = Math.Sqrt(f * (1 - f) / steps);
        Assert.InRange(mean, f - 5 * sigma, f + 5 * sigma);
        Assert.All(counts, n => Assert.InRange(n, 0, 1));
    }

    [Fact]
    public void Stochastic_draws_depend_on_the_unit_and_step_not_on_the_slice_a_simulator_steps()
    {
        var rule = new QuantizerRule.Stochastic(3);
        double[] fx = [.. Enumerable.Range(0, 30).Select(i => (i % 7) / 7.0)];
        var (alone, _) = Run(rule, 2, fx, unit: 5);
        // Units 4..6 stepped together, as a core holding that piece of the population would.
        var v = new double[3];
        var n = new int[3];
        var unit5 = new int[fx.Length];
        for (int t = 0; t < fx.Length; t++)
        {
            Quantizers.Step(rule, v, [fx[t], fx[t], fx[t]], 2, n, 4);
            unit5[t] = n[1];
        }
        Assert.Equal(alone, unit5);
    }

    [Fact]
    public void Stochastic_state_counts_the_steps()
    {
        var (_, states) = Run(new QuantizerRule.Stochastic(1), 1, [0.1, 0.2, 0.3]);
        Assert.Equal([1.0, 2.0, 3.0], states);
    }

    [Fact]
    public void Send_on_delta_keeps_its_level_within_the_threshold_of_omega_f() =>
        Prop.ForAll(Omegas, Activities, Gen.Elements(0.5, 1.0, 2.0, 5.0).ToArbitrary(), (omega, fx, threshold) =>
        {
            var (_, levels) = Run(new QuantizerRule.SendOnDelta(threshold), omega, fx);
            return fx.Select((f, t) => Math.Abs(omega * f - levels[t]) < Math.Max(threshold, 0.5) + 1e-9).All(ok => ok);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Send_on_delta_sends_the_changes_of_its_level() =>
        Prop.ForAll(Omegas, Activities, (omega, fx) =>
        {
            var (counts, levels) = Run(new QuantizerRule.SendOnDelta(1), omega, fx);
            return counts.Select((n, t) => levels[t] - (t == 0 ? 0 : levels[t - 1]) == n).All(ok => ok);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Send_on_delta_is_silent_while_f_holds_still()
    {
        var (counts, _) = Run(new QuantizerRule.SendOnDelta(1), 10, [.. Enumerable.Repeat(0.73, 50)]);
        Assert.Equal(7, counts[0]);
        Assert.All(counts.Skip(1), n => Assert.Equal(0, n));
    }

    [Fact]
    public void Send_on_delta_activity_is_the_level_over_omega()
    {
        var rule = new QuantizerRule.SendOnDelta(1);
        var v = new double[1];
        var n = new int[1];
        var a = new double[1];
        Quantizers.Step(rule, v, [0.6], 5, n, 0);
        Quantizers.Step(rule, v, [0.6], 5, n, 0);
        Quantizers.Activity(rule, n, v, 5, a);
        Assert.Equal(0, n[0]);
        Assert.Equal(3 / 5.0, a[0]);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void The_Q32_integers_give_the_float64_counts_on_dyadic_values(string name) =>
        Prop.ForAll(
            Gen.Elements(1.0, 2.0, 4.0, 16.0).ToArbitrary(),
            Gen.Choose(-256, 256).Select(i => i / 64.0).ArrayOf().ToArbitrary(),
            (omega, fx) =>
            {
                var rule = Rule(name);
                const int units = 3, first = 2;
                var v = new double[units];
                Quantizers.InitialStates(rule, v, InitialStateMode.Zeros, 0);
                var q = v.Select(FixedPoint.InitialState).ToArray();
                var (n, m) = (new int[units], new int[units]);
                for (int t = 0; t + units <= fx.Length; t++)
                {
                    var x = fx.AsSpan(t, units);
                    Quantizers.Step(rule, v, x, omega, n, first);
                    FixedPoint.QuantizerStep(rule, q, x, omega, m, first);
                    if (!n.SequenceEqual(m)) return false;
                }
                return true;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_non_positive_send_on_delta_threshold_is_refused_naming_the_population()
    {
        var e = Assert.Throws<ArgumentException>(() => Quantizers.Validate(new QuantizerRule.SendOnDelta(-1), "hidden"));
        Assert.Equal("population 'hidden': send-on-delta threshold -1 must be positive, finite and at most 2147483647", e.Message);
    }

    [Fact]
    public void Send_on_delta_can_swing_twice_as_far_in_a_step() =>
        Assert.Equal(2 * 4 * 1.0 + 1, Quantizers.MaxCount(new QuantizerRule.SendOnDelta(1), 4, 1));

    [Fact]
    public void A_non_finite_f_is_an_overflow_for_every_rule()
    {
        foreach (var name in Quantizers.Names)
            Assert.Throws<OverflowException>(() => Quantizers.Step(Rule(name), new double[1], [double.NaN], 1, new int[1], 0));
    }
}
