namespace HybridSpike.Core.Numerics;

/// <summary>
/// The fixed-point helpers the compiler's discretize stage and the fixed-point simulators share
/// (one copy, as nengo-loihi's emulator imports its discretizer's): weights as signed mantissas of
/// <c>bits</c> bits with one power-of-two exponent per block, w ≈ m·2^e.
/// </summary>
public static class FixedPoint
{
    /// <summary>The largest mantissa magnitude of a signed <paramref name="bits"/>-bit weight: 2^(bits−1) − 1.</summary>
    public static int MaxMantissa(int bits)
    {
        if (bits is < 2 or > 31) throw new ArgumentOutOfRangeException(nameof(bits), bits, "weight bits must be in 2..31");
        return (1 << (bits - 1)) - 1;
    }

    /// <summary>
    /// The smallest exponent e such that every |w| / 2^e rounds to at most the largest mantissa, so the
    /// block keeps as many significant bits as it can. All-zero blocks get exponent 0.
    /// </summary>
    public static int BlockExponent(ReadOnlySpan<double> weights, int bits)
    {
        double max = 0;
        foreach (var w in weights)
        {
            if (!double.IsFinite(w)) throw new ArgumentException($"weight {w} is not finite", nameof(weights));
            max = Math.Max(max, Math.Abs(w));
        }
        if (max == 0) return 0;
        int limit = MaxMantissa(bits);
        int e = (int)Math.Ceiling(Math.Log2(max / limit));
        // Log2 can land one off at exact powers of two: settle on the smallest e that fits.
        while (Math.Round(max / Math.ScaleB(1, e), MidpointRounding.ToEven) > limit) e++;
        while (Math.Round(max / Math.ScaleB(1, e - 1), MidpointRounding.ToEven) <= limit) e--;
        return e;
    }

    /// <summary>The mantissa of <paramref name="weight"/> at exponent <paramref name="exponent"/>: round half to even, clamped.</summary>
    public static int Mantissa(double weight, int exponent, int bits)
    {
        int limit = MaxMantissa(bits);
        double m = Math.Round(weight / Math.ScaleB(1, exponent), MidpointRounding.ToEven);
        return (int)Math.Clamp(m, -limit, limit);
    }

    /// <summary>The weight a mantissa and exponent stand for, m·2^e (exact in float64).</summary>
    public static double Value(int mantissa, int exponent) => Math.ScaleB(mantissa, exponent);

    /// <summary>Fractional bits of a quantizer state held as an integer: v = v_int / 2^32.</summary>
    public const int StateFractionBits = 32;

    /// <summary>Fractional bits of the payload of a non-spiking population or of the input: a ≈ p / 2^16.</summary>
    public const int PayloadFractionBits = 16;

    /// <summary>The integer payload of a real activity: round(a·2^16), half to even.</summary>
    public static long Payload(double activity) => checked((long)Math.Round(Math.ScaleB(activity, PayloadFractionBits), MidpointRounding.ToEven));

    /// <summary>v₀ in [0, 1) as a Q32 integer state (floor, so it stays below 2^32).</summary>
    public static long InitialState(double v0) => (long)Math.Floor(Math.ScaleB(v0, StateFractionBits));

    /// <summary>
    /// The quantizer on integer states: δ = round(ω·f(x)·2^32), s = v + δ, n = ⌊s / 2^32⌋ (an arithmetic
    /// shift), v ← s − n·2^32. The same equations as <see cref="SigmaDelta"/> with the state in Q32, so
    /// that every simulator of the fixed-point network, however it splits the work, gets the same counts.
    /// </summary>
    public static void QuantizerStep(Span<long> v, ReadOnlySpan<double> fx, double omega, Span<int> n)
    {
        if (fx.Length != v.Length || n.Length != v.Length)
            throw new ArgumentException($"spans differ: v {v.Length}, f(x) {fx.Length}, n {n.Length}");
        for (int i = 0; i < v.Length; i++)
        {
            // checked: a step of 2^31 spikes or more (ω·f(x) out of range, or not finite) is an error, not garbage.
            long s = checked(v[i] + (long)Math.Round(Math.ScaleB(omega * fx[i], StateFractionBits), MidpointRounding.ToEven));
            long count = s >> StateFractionBits;
            v[i] = s - (count << StateFractionBits);
            n[i] = checked((int)count);
        }
    }

    /// <summary>One connection's integer input to one unit: Σ_j m_j · payload_j over the nonzero payloads (int64, exact; overflow is an error). <see cref="MantissaBlock"/> is its fast form.</summary>
    public static long Accumulate(ReadOnlySpan<int> mantissas, ReadOnlySpan<long> payloads)
    {
        long acc = 0;
        for (int j = 0; j < payloads.Length; j++)
            if (payloads[j] != 0) acc = checked(acc + mantissas[j] * payloads[j]);
        return acc;
    }

    /// <summary>
    /// What an integer sum adds to a unit's input: acc·2^e divided by the source's ω (a quantized
    /// source's payload is n, its activity n/ω), or acc·2^(e−16) for a payload of round(a·2^16).
    /// </summary>
    public static double Contribution(long acc, int exponent, double? sourceOmega) =>
        sourceOmega is { } omega ? Math.ScaleB(acc, exponent) / omega : Math.ScaleB(acc, exponent - PayloadFractionBits);

    /// <summary>
    /// The units' step from their inputs x: f(x), then either the Q32 quantizer (payload n, activity n/ω,
    /// counts written) or, without ω, activity f(x) and payload round(f(x)·2^16). <paramref name="fx"/> is scratch.
    /// </summary>
    public static void UnitsStep(Activation f, double? omega, ReadOnlySpan<double> x, Span<double> fx, Span<long> state,
        Span<long> payloads, Span<double> activity, Span<int> counts)
    {
        for (int i = 0; i < x.Length; i++) fx[i] = Activations.Apply(f, x[i]);
        if (omega is { } w)
        {
            QuantizerStep(state, fx, w, counts);
            for (int i = 0; i < x.Length; i++) { payloads[i] = counts[i]; activity[i] = counts[i] / w; }
        }
        else
        {
            for (int i = 0; i < x.Length; i++) { activity[i] = fx[i]; payloads[i] = Payload(fx[i]); }
        }
    }
}
