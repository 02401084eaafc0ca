using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

public class LegendreTests
{
    [Fact]
    public void A_and_B_for_d_3_match_the_hand_computed_values()
    {
        // θ = 2: A[i][j] = (2i+1)/θ · (−1 if i < j else (−1)^(i−j+1)), B[i] = (2i+1)/θ · (−1)^i.
        var a = Legendre.ContinuousA(3, 2);
        double[] expected =
        [
            -0.5, -0.5, -0.5,
             1.5, -1.5, -1.5,
            -2.5,  2.5, -2.5,
        ];
        Assert.Equal(expected, a.ToArray());
        Assert.Equal([0.5, -1.5, 2.5], Legendre.ContinuousB(3, 2).ToArray());
    }

    [Fact]
    public void Zero_order_hold_for_d_1_is_the_exact_exponential_decay()
    {
        // A = −1/θ, B = 1/θ: Ā = e^{−1/θ}, B̄ = 1 − e^{−1/θ}.
        var s = Legendre.Discretize(1, 4, Discretization.ZeroOrderHold);
        Assert.Equal(Math.Exp(-0.25), s.A[0, 0], 15);
        Assert.Equal(1 - Math.Exp(-0.25), s.B[0, 0], 15);
    }

    [Fact]
    public void Zero_order_hold_for_d_2_matches_the_closed_form_of_a_2x2_exponential()
    {
        // θ = 1: A = [[−1, −1], [3, −3]], eigenvalues −2 ± i√2, so
        // e^A = e^{−2} (cos √2 · I + sin √2 / √2 · (A + 2I)).
        var s = Legendre.Discretize(2, 1, Discretization.ZeroOrderHold);
        double r = Math.Sqrt(2), c = Math.Cos(r), k = Math.Sin(r) / r, e = Math.Exp(-2);
        double[] expA = [e * (c + k * 1), e * (k * -1), e * (k * 3), e * (c + k * -1)];
        for (int i = 0; i < 4; i++) Assert.Equal(expA[i], s.A.ToArray()[i], 14);
        // B̄ = A⁻¹ (e^A − I) B
        var a = Legendre.ContinuousA(2, 1);
        var bbar = a.Solve((s.A - Matrix.Identity(2)) * Legendre.ContinuousB(2, 1));
        Assert.Equal(bbar.ToArray()[0], s.B[0, 0], 14);
        Assert.Equal(bbar.ToArray()[1], s.B[1, 0], 14);
    }

    [Fact]
    public void The_augmented_exponential_agrees_with_the_inverse_formula_for_the_psMNIST_memory_order()
    {
        var s = Legendre.Discretize(32, 784, Discretization.ZeroOrderHold);
        var a = Legendre.ContinuousA(32, 784);
        var bbar = a.Solve((s.A - Matrix.Identity(32)) * Legendre.ContinuousB(32, 784));
        for (int i = 0; i < 32; i++) Assert.Equal(bbar[i, 0], s.B[i, 0], 1e-12);
    }

    [Fact]
    public void Euler_is_I_plus_A_and_B()
    {
        var s = Legendre.Discretize(3, 2, Discretization.Euler);
        Assert.Equal((Matrix.Identity(3) + Legendre.ContinuousA(3, 2)).ToArray(), s.A.ToArray());
        Assert.Equal(Legendre.ContinuousB(3, 2).ToArray(), s.B.ToArray());
    }

    [Fact]
    public void The_impulse_response_equals_the_recurrence()
    {
        var s = Legendre.Discretize(6, 10, Discretization.ZeroOrderHold);
        var h = s.ImpulseResponse(20);
        var m = new double[6];
        // Feed an impulse at t = 0: m_t = Ā m_{t−1} + B̄ u_t equals H[t].
        for (int t = 0; t < 20; t++)
        {
            var next = new double[6];
            for (int i = 0; i < 6; i++)
            {
                double v = t == 0 ? s.B[i, 0] : 0;
                for (int j = 0; j < 6; j++) v += s.A[i, j] * m[j];
                next[i] = v;
            }
            m = next;
            for (int i = 0; i < 6; i++) Assert.Equal(m[i], h[t, i], 15);
        }
    }

    [Fact]
    public void The_exponential_of_a_large_norm_rotation_generator_is_the_rotation()
    {
        // [[0, −w], [w, 0]] with w = 100: one-norm far above the Padé threshold, so several squarings.
        const double w = 100;
        var e = Matrix.Create(2, 2, [0, -w, w, 0]).Exp();
        double[] expected = [Math.Cos(w), -Math.Sin(w), Math.Sin(w), Math.Cos(w)];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], e.ToArray()[i], 1e-10);
    }

    [Fact]
    public void Invalid_orders_and_windows_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Legendre.ContinuousA(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Legendre.ContinuousA(4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Legendre.ContinuousB(4, double.NaN));
    }
}
