namespace HybridSpike.Core.Numerics;

/// <summary>
/// How a quantized population turns f(x) into integer counts each step: a closed choice. Every rule sends
/// integers n (the spikes, the packets' payloads) and keeps a per-unit state v; <see cref="Quantizers"/>
/// holds the one copy of their math (float64), <see cref="FixedPoint"/> the same equations on Q32 integers.
/// The paper's references motivate each; docs/quantizers.md compares them.
/// </summary>
public abstract record QuantizerRule
{
    private protected QuantizerRule() { }

    /// <summary>The rule's name in artifacts and configs ("sigma-delta", "rounding", ...).</summary>
    public abstract string Name { get; }

    /// <summary>The default: <see cref="SigmaDelta"/>.</summary>
    public static QuantizerRule Default { get; } = new SigmaDelta();

    /// <summary>
    /// First-order Sigma-Delta, temporally-diffused error (the paper's quantizer, the default):
    /// <c>v ← v + ω·f(x); n = ⌊v⌋; v ← v − n</c>; the error is carried to the next step, so
    /// |Σ_{t≤T} n_t/ω − Σ_{t≤T} f(x_t)| &lt; 1/ω for every T. v₀ from the population's initial state.
    /// </summary>
    public sealed record SigmaDelta : QuantizerRule
    {
        /// <inheritdoc/>
        public override string Name => "sigma-delta";
    }

    /// <summary>Deterministic rounding with no carried error: <c>n = ⌊ω·f(x) + ½⌋</c>. No state (v = ½ throughout).</summary>
    public sealed record Rounding : QuantizerRule
    {
        /// <inheritdoc/>
        public override string Name => "rounding";
    }

    /// <summary>
    /// Stochastic rounding (Furber et al.): <c>n = ⌊ω·f(x) + u⌋</c> with u uniform in [0, 1) drawn afresh
    /// for every unit and step from <see cref="Quantizers.Noise"/>(<paramref name="Seed"/>, unit, step),
    /// so E[n] = ω·f(x) and no error is carried. The state v is the step count t: a counter, not a
    /// generator's position, so the draws do not depend on what else the simulator runs or in which order.
    /// </summary>
    public sealed record Stochastic(ulong Seed) : QuantizerRule
    {
        /// <inheritdoc/>
        public override string Name => "stochastic";
    }

    /// <summary>
    /// Dithered rounding (Dither NN): <c>n = ⌊ω·f(x) + d_i⌋</c> with a fixed dither d_i in [0, 1) per unit,
    /// drawn once from <paramref name="Seed"/> (32-bit fractions, so that the Q32 state holds them exactly):
    /// the units of a population round at different points, and nothing is carried between steps. v = d_i.
    /// </summary>
    public sealed record Dithered(ulong Seed) : QuantizerRule
    {
        /// <inheritdoc/>
        public override string Name => "dithered";
    }

    /// <summary>
    /// Send-on-delta (the first difference, as Lava's sigma-delta neurons): the unit keeps the level L it
    /// has sent so far (in quanta) and sends the change when it reaches the threshold,
    /// <c>Δ = ω·f(x) − L; n = |Δ| ≥ Θ ? ⌊Δ + ½⌋ : 0; L ← L + n</c>, the residue Δ − n staying in the
    /// difference. Its activity is the level, <c>a = L/ω</c>: receivers integrate the counts they are sent
    /// (their dendritic sums accumulate, <see cref="Quantizers.SendsDeltas"/>), so a unit whose f(x) holds still
    /// sends nothing. v = L. <paramref name="Threshold"/> Θ is in quanta (1: a change of one quantum).
    /// </summary>
    public sealed record SendOnDelta(double Threshold) : QuantizerRule
    {
        /// <inheritdoc/>
        public override string Name => "send-on-delta";
    }
}

/// <summary>
/// The quantizer rules' math in float64, the one copy the golden simulator calls (the mesh runs the same
/// equations on Q32 integers in <see cref="FixedPoint.QuantizerStep(QuantizerRule, Span{long}, ReadOnlySpan{double}, double, Span{int}, int)"/>,
/// training on tensors in HybridSpike.Training, both tested against this). Per unit: a state v, counts n
/// each step, and an activity a that the population's targets see.
/// </summary>
public static class Quantizers
{
    /// <summary>The rules' names, as artifacts and configs spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sigma-delta", "rounding", "stochastic", "dithered", "send-on-delta"];

    /// <summary>
    /// Checks the rule's parameters; the error names the population. Θ of send-on-delta must be positive and
    /// finite and at most 2^31 (it is compared with differences that fit an int32 count).
    /// </summary>
    public static void Validate(QuantizerRule rule, string population)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule is QuantizerRule.SendOnDelta { Threshold: var t } && !(t > 0 && t <= int.MaxValue))
            throw new ArgumentException($"population '{population}': send-on-delta threshold {t} must be positive, finite and at most {int.MaxValue}");
    }

    /// <summary>
    /// Receivers of this rule's counts integrate them (send-on-delta: the counts are changes of the level);
    /// for every other rule a count is the activity itself, n/ω.
    /// </summary>
    public static bool SendsDeltas(QuantizerRule rule) => rule is QuantizerRule.SendOnDelta;

    /// <summary>
    /// The largest |n| a step can give when |f(x)| ≤ <paramref name="maxF"/>: ω·maxF + 1, or for send-on-delta
    /// (a swing from −maxF to +maxF) 2·ω·maxF + 1.
    /// </summary>
    public static double MaxCount(QuantizerRule rule, double omega, double maxF) =>
        (SendsDeltas(rule) ? 2 : 1) * omega * maxF + 1;

    /// <summary>
    /// The largest |a| its targets can see when |f(x)| ≤ <paramref name="maxF"/>: maxF + 1/ω (a count is at most
    /// one quantum past ω·f(x)), or for send-on-delta maxF + (Θ + 1)/ω (the level trails ω·f(x) by less than Θ + ½).
    /// </summary>
    public static double MaxActivity(QuantizerRule rule, double omega, double maxF) =>
        maxF + (rule is QuantizerRule.SendOnDelta d ? d.Threshold + 1 : 1) / omega;

    /// <summary>
    /// The initial states of <paramref name="v"/>.Length units (the population's first units): the sigma-delta
    /// remainder v₀ from <paramref name="mode"/> and <paramref name="seed"/> (<see cref="Numerics.SigmaDelta.InitialState(Span{double}, InitialStateMode, ulong)"/>);
    /// ½ for rounding; the dithers for dithered; 0 (step count, level) for stochastic and send-on-delta.
    /// </summary>
    public static void InitialStates(QuantizerRule rule, Span<double> v, InitialStateMode mode, ulong seed)
    {
        switch (rule)
        {
            case QuantizerRule.SigmaDelta: Numerics.SigmaDelta.InitialState(v, mode, seed); break;
            case QuantizerRule.Rounding: v.Fill(0.5); break;
            case QuantizerRule.Dithered d:
                var g = new SplitMix64(d.Seed);
                for (int i = 0; i < v.Length; i++) v[i] = Dither(g.NextUInt64());
                break;
            case QuantizerRule.Stochastic or QuantizerRule.SendOnDelta: v.Clear(); break;
            default: throw Unknown(rule);
        }
    }

    /// <summary>A dither from a 64-bit draw: its top 32 bits as a fraction in [0, 1) (exact in Q32).</summary>
    internal static double Dither(ulong draw) => (draw >> 32) * (1.0 / 4294967296.0);

    /// <summary>
    /// The stochastic rule's draw for unit <paramref name="unit"/> (of the population) at step
    /// <paramref name="step"/> of a stream: 32 bits, read as u = bits/2^32 in [0, 1). A hash of the three
    /// (SplitMix64's finalizer, twice), so any simulator, any placement and any order of work gives the same u.
    /// </summary>
    public static uint Noise(ulong seed, long unit, long step)
    {
        ulong h = Mix(seed + 0x9E3779B97F4A7C15UL * (ulong)(unit + 1));
        h = Mix(h + 0xD1B54A32D192ED03UL * (ulong)(step + 1));
        return (uint)(h >> 32);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// One step of units <paramref name="firstUnit"/>.. of a population: <paramref name="fx"/> holds f(x) per unit;
    /// writes the counts to <paramref name="n"/> and advances <paramref name="v"/> in place. A count that does not
    /// fit an int32 (ω·f(x) too large or not finite) is an <see cref="OverflowException"/>.
    /// </summary>
    public static void Step(QuantizerRule rule, Span<double> v, ReadOnlySpan<double> fx, double omega, Span<int> n, int firstUnit)
    {
        if (fx.Length != v.Length || n.Length != v.Length)
            throw new ArgumentException($"spans differ: v {v.Length}, f(x) {fx.Length}, n {n.Length}");
        switch (rule)
        {
            case QuantizerRule.SigmaDelta:
                Numerics.SigmaDelta.Step(v, fx, omega, n);
                break;
            case QuantizerRule.Rounding or QuantizerRule.Dithered:
                for (int i = 0; i < v.Length; i++) n[i] = checked((int)Math.Floor(omega * fx[i] + v[i]));
                break;
            case QuantizerRule.Stochastic s:
                for (int i = 0; i < v.Length; i++)
                {
                    double u = Noise(s.Seed, firstUnit + i, (long)v[i]) * (1.0 / 4294967296.0);
                    n[i] = checked((int)Math.Floor(omega * fx[i] + u));
                    v[i] += 1;
                }
                break;
            case QuantizerRule.SendOnDelta d:
                for (int i = 0; i < v.Length; i++)
                {
                    double delta = omega * fx[i] - v[i];
                    if (!double.IsFinite(delta)) throw new OverflowException($"send-on-delta: ω·f(x) = {omega * fx[i]} is not finite");
                    int c = Math.Abs(delta) >= d.Threshold ? checked((int)Math.Floor(delta + 0.5)) : 0;
                    n[i] = c;
                    v[i] += c;
                }
                break;
            default: throw Unknown(rule);
        }
    }

    /// <summary>
    /// The activity the population's targets see after a step: n/ω, or for send-on-delta the level L/ω
    /// (<paramref name="v"/> after the step).
    /// </summary>
    public static void Activity(QuantizerRule rule, ReadOnlySpan<int> n, ReadOnlySpan<double> v, double omega, Span<double> a)
    {
        if (SendsDeltas(rule)) for (int i = 0; i < a.Length; i++) a[i] = v[i] / omega;
        else for (int i = 0; i < a.Length; i++) a[i] = n[i] / omega;
    }

    internal static ArgumentException Unknown(QuantizerRule rule) => new($"unknown quantizer rule {rule}");
}
