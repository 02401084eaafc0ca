using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class SigmaDeltaTests
{
    private static (int[] Counts, double[] Ideal) Run(double omega, double[] fx, double v0)
    {
        var v = new[] { v0 };
        var n = new int[1];
        var counts = new int[fx.Length];
        for (int t = 0; t < fx.Length; t++)
        {
            SigmaDelta.Step(v, [fx[t]], omega, n);
            counts[t] = n[0];
        }
        return (counts, fx);
    }

    [Fact]
    public void The_running_sum_of_activity_stays_within_one_quantum_of_the_ideal_at_every_step()
    {
        Prop.ForAll(
            Gen.Choose(1, 4000).Select(i => i / 100.0).ToArbitrary(),
            Gen.Choose(-1000, 1000).Select(i => i / 1000.0).ArrayOf().ToArbitrary(),
            Gen.Choose(0, 999).Select(i => i / 1000.0).ToArbitrary(),
            (omega, fx, v0) =>
            {
                var (counts, ideal) = Run(omega, fx, v0);
                double sa = 0, sf = 0;
                for (int t = 0; t < fx.Length; t++)
                {
                    sa += counts[t] / omega;
                    sf += ideal[t];
                    if (Math.Abs(sa - sf) >= 1 / omega + 1e-9) return false;
                }
                return true;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_large_omega_reproduces_f()
    {
        double omega = 1e6;
        double[] fx = [0.3, -0.71, 0.05, 0.999, 0];
        var (counts, _) = Run(omega, fx, 0.5);
        for (int t = 0; t < fx.Length; t++) Assert.Equal(fx[t], counts[t] / omega, 5);
    }

    [Fact]
    public void With_omega_times_f_at_most_one_every_output_is_zero_or_one_spike()
    {
        var g = new SplitMix64(5);
        var fx = Enumerable.Range(0, 5000).Select(_ => g.NextDouble()).ToArray(); // f in [0, 1)
        var (counts, _) = Run(1.0, fx, 0.3);
        Assert.All(counts, c => Assert.InRange(c, 0, 1));
        Assert.Contains(1, counts);
    }

    [Fact]
    public void The_remainder_stays_in_the_unit_interval()
    {
        var v = new[] { 0.9, 0.1, 0.5 };
        var n = new int[3];
        SigmaDelta.Step(v, [-2.37, 7.01, 0.0], 3.0, n);
        Assert.All(v, x => Assert.InRange(x, 0.0, 0.9999999999999999));
        Assert.Equal([-7, 21, 0], n);
    }

    [Fact]
    public void The_closed_form_equals_the_step_by_step_form_in_float64()
    {
        var g = new SplitMix64(11);
        double omega = 7.3, v0 = 0.42;
        var fx = Enumerable.Range(0, 784).Select(_ => 2 * g.NextDouble() - 1).ToArray();
        var (counts, _) = Run(omega, fx, v0);
        double s = 0;
        for (int t = 0; t < fx.Length; t++)
        {
            double before = s;
            s += fx[t];
            Assert.Equal(counts[t], SigmaDelta.ClosedForm(v0, omega, s, before));
        }
    }

    [Fact]
    public void Initial_states_are_seeded_uniform_or_zero()
    {
        var a = SigmaDelta.InitialState(1000, InitialStateMode.Uniform, 3);
        Assert.Equal(a, SigmaDelta.InitialState(1000, InitialStateMode.Uniform, 3));
        Assert.NotEqual(a, SigmaDelta.InitialState(1000, InitialStateMode.Uniform, 4));
        Assert.All(a, x => Assert.InRange(x, 0.0, 0.9999999999999999));
        Assert.InRange(a.Average(), 0.45, 0.55);
        Assert.All(SigmaDelta.InitialState(10, InitialStateMode.Zeros, 3), x => Assert.Equal(0.0, x));
    }
}
