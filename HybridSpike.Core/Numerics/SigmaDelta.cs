namespace HybridSpike.Core.Numerics;

/// <summary>How a quantized population's state <c>v</c> starts.</summary>
public enum InitialStateMode
{
    /// <summary>v₀ uniform in [0, 1) from the population's seed (SplitMix64, one draw per unit in unit order).</summary>
    Uniform,
    /// <summary>v₀ = 0.</summary>
    Zeros,
}

/// <summary>
/// The quantizer with temporally-diffused error (first-order Sigma-Delta), the one copy of its
/// math that the golden simulator and the mesh call (training runs the same equations on tensors
/// and is tested against this):
/// <code>
///   v   ← v + ω·f(x)
///   n   = ⌊v⌋          (an integer: 0, 1, several, or negative where f &lt; 0)
///   v   ← v − n        (the remainder, in [0, 1))
///   a   = n / ω        (the activity sent on)
/// </code>
/// For every unit and T: |Σ_{t≤T} a_t − Σ_{t≤T} f(x_t)| &lt; 1/ω. Closed form, with S_t = Σ_{s≤t} f(x_s):
/// n_t = ⌊v₀ + ω·S_t⌋ − ⌊v₀ + ω·S_{t−1}⌋.
/// </summary>
public static class SigmaDelta
{
    /// <summary>The initial states of <paramref name="v"/>.Length units.</summary>
    public static void InitialState(Span<double> v, InitialStateMode mode, ulong seed)
    {
        if (mode == InitialStateMode.Zeros) { v.Clear(); return; }
        var g = new SplitMix64(seed);
        for (int i = 0; i < v.Length; i++) v[i] = g.NextDouble();
    }

    /// <summary>The initial states as a new array.</summary>
    public static double[] InitialState(int units, InitialStateMode mode, ulong seed)
    {
        var v = new double[units];
        InitialState(v, mode, seed);
        return v;
    }

    /// <summary>One step for a population: <paramref name="fx"/> holds f(x) per unit; writes counts to <paramref name="n"/>.</summary>
    public static void Step(Span<double> v, ReadOnlySpan<double> fx, double omega, Span<int> n)
    {
        if (fx.Length != v.Length || n.Length != v.Length)
            throw new ArgumentException($"spans differ: v {v.Length}, f(x) {fx.Length}, n {n.Length}");
        for (int i = 0; i < v.Length; i++)
        {
            double s = v[i] + omega * fx[i];
            double c = Math.Floor(s);
            v[i] = s - c;
            n[i] = checked((int)c);
        }
    }

    /// <summary>The count at step t from the running sums S_t and S_{t−1} (closed form).</summary>
    public static long ClosedForm(double v0, double omega, double sumThrough, double sumBefore) =>
        (long)(Math.Floor(v0 + omega * sumThrough) - Math.Floor(v0 + omega * sumBefore));
}
