using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    public static long Payload(double activity) => ToInt64(Math.Round(activity * PayloadScale, MidpointRounding.ToEven));

    /// <summary>v₀ in [0, 1) as a Q32 integer state (floor, so it stays below 2^32).</summary>
    public static long InitialState(double v0) => (long)Math.Floor(Math.ScaleB(v0, StateFractionBits));

    /// <summary>2^32: multiplying by a power of two is exact, and far cheaper than <see cref="Math.ScaleB"/>.</summary>
    private const double StateScale = 4294967296.0;

    /// <summary>2^16, the payload scale.</summary>
    private const double PayloadScale = 65536.0;

    /// <summary>
    /// <see cref="Quantizers.Step"/> on integer states, for units <paramref name="firstUnit"/>.. of a population:
    /// with δ = round(ω·f(x)·2^32) (half to even),
    /// <code>
    ///   sigma-delta          s = v + δ;  n = ⌊s / 2^32⌋;  v ← s − n·2^32       (v: Q32 remainder)
    ///   rounding, dithered   n = ⌊(δ + v) / 2^32⌋                            (v: Q32 offset, ½ or d_i, constant)
    ///   stochastic           n = ⌊(δ + u) / 2^32⌋, u = Noise(seed, unit, v);  v ← v + 1    (v: the step count)
    ///   send-on-delta        D = δ − L·2^32;  n = |D| ≥ round(Θ·2^32) ? ⌊(D + 2^31) / 2^32⌋ : 0;  L ← L + n   (v = L, an integer)
    /// </code>
    /// The float64 equations with every quantity a multiple of 2^−32: where ω·f(x) is such a multiple the two agree
    /// exactly (the contract's dyadic domain). Every simulator of the fixed-point network, however it splits the
    /// work, gets the same counts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizerStep(QuantizerRule rule, Span<long> v, ReadOnlySpan<double> fx, double omega, Span<int> n, int firstUnit)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (fx.Length != v.Length || n.Length != v.Length)
            throw new ArgumentException($"spans differ: v {v.Length}, f(x) {fx.Length}, n {n.Length}");
        Span<long> delta = stackalloc long[Math.Min(v.Length, 256)];
        for (int start = 0; start < v.Length; start += delta.Length)
        {
            int len = Math.Min(delta.Length, v.Length - start);
            RoundScaled(fx.Slice(start, len), omega, StateScale, delta[..len]);
            var vs = v.Slice(start, len);
            var ns = n.Slice(start, len);
            switch (rule)
            {
                case QuantizerRule.SigmaDelta:
                    for (int i = 0; i < len; i++)
                    {
                        // checked: a step of 2^31 spikes or more (ω·f(x) out of range) is an error, not garbage.
                        long sum = checked(vs[i] + delta[i]);
                        long count = sum >> StateFractionBits;
                        vs[i] = sum - (count << StateFractionBits);
                        ns[i] = checked((int)count);
                    }
                    break;
                case QuantizerRule.Rounding or QuantizerRule.Dithered:
                    for (int i = 0; i < len; i++) ns[i] = checked((int)(checked(delta[i] + vs[i]) >> StateFractionBits));
                    break;
                case QuantizerRule.Stochastic st:
                    for (int i = 0; i < len; i++)
                    {
                        long u = Quantizers.Noise(st.Seed, firstUnit + start + i, vs[i]);
                        ns[i] = checked((int)(checked(delta[i] + u) >> StateFractionBits));
                        vs[i]++;
                    }
                    break;
                case QuantizerRule.SendOnDelta sd:
                    long threshold = (long)Math.Round(sd.Threshold * StateScale, MidpointRounding.ToEven);
                    for (int i = 0; i < len; i++)
                    {
                        if (vs[i] is > int.MaxValue or < int.MinValue) throw new OverflowException($"send-on-delta level {vs[i]} does not fit an int32");
                        long d = checked(delta[i] - (vs[i] << StateFractionBits));
                        long c = Math.Abs(d) >= threshold ? checked(d + (1L << (StateFractionBits - 1))) >> StateFractionBits : 0;
                        ns[i] = checked((int)c);
                        vs[i] = checked(vs[i] + c);
                    }
                    break;
                default: throw Quantizers.Unknown(rule);
            }
        }
    }

    /// <summary>
    /// result_i = round(factor·a_i·scale), half to even, as int64; a value that does not fit (or is not
    /// finite) is an error. Vectorized where the machine allows: the same operations in the same order,
    /// so the same integers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RoundScaled(ReadOnlySpan<double> a, double factor, double scale, Span<long> result)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var f = Vector512.Create(factor);
            var sc = Vector512.Create(scale);
            var limit = Vector512.Create(9.2233720368547758e18);
            for (; i <= a.Length - 8; i += 8)
            {
                var r = Vector512.Round(f * Vector512.Create(a.Slice(i, 8)) * sc);
                if (!Vector512.LessThanAll(Vector512.Abs(r), limit)) break; // the scalar loop below reports it
                Vector512.ConvertToInt64(r).CopyTo(result.Slice(i, 8));
            }
        }
        for (; i < a.Length; i++) result[i] = ToInt64(Math.Round(factor * a[i] * scale, MidpointRounding.ToEven));
    }

    /// <summary>A rounded double as int64; out of range or not finite is an error (a cast would give garbage).</summary>
    private static long ToInt64(double rounded) =>
        rounded is >= -9.2233720368547758e18 and < 9.2233720368547758e18 ? (long)rounded
            : throw new OverflowException($"{rounded} does not fit a 64-bit fixed-point value");

    /// <summary>One connection's integer input to one unit: Σ_j m_j · payload_j over the nonzero payloads (int64, exact; overflow is an error). <see cref="MantissaBlock"/> is its fast form.</summary>
    public static long Accumulate(ReadOnlySpan<int> mantissas, ReadOnlySpan<long> payloads)
    {
        long acc = 0;
        for (int j = 0; j < payloads.Length; j++)
            if (payloads[j] != 0) acc = checked(acc + mantissas[j] * payloads[j]);
        return acc;
    }

    /// <summary>The power of two a row's sum is multiplied by: 2^e for a quantized source, 2^(e−16) otherwise.</summary>
    public static double RowScale(int exponent, double? sourceOmega) =>
        Math.ScaleB(1.0, sourceOmega is null ? exponent - PayloadFractionBits : exponent);

    /// <summary>
    /// What integer sums add to their units' inputs: x_i += acc_i·2^e_i / ω (a quantized source's payload is n,
    /// its activity n/ω), or acc_i·2^(e_i−16) for payloads of round(a·2^16). Computed as (double)acc ·
    /// <see cref="RowScale"/> [/ ω] (a product by a power of two is exact), with the rows' scales
    /// precomputed; vectorized where the machine allows, the same doubles either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddContributions(ReadOnlySpan<long> sums, ReadOnlySpan<double> rowScales, double? sourceOmega, Span<double> x)
    {
        if (rowScales.Length != sums.Length || x.Length != sums.Length)
            throw new ArgumentException($"spans differ: sums {sums.Length}, scales {rowScales.Length}, x {x.Length}");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref long s = ref MemoryMarshal.GetReference(sums);
            ref double r = ref MemoryMarshal.GetReference(rowScales);
            ref double xr = ref MemoryMarshal.GetReference(x);
            if (sourceOmega is { } w)
            {
                var omega = Vector512.Create(w);
                for (; i <= sums.Length - 8; i += 8)
                    (Vector512.LoadUnsafe(ref xr, (nuint)i) + Vector512.ConvertToDouble(Vector512.LoadUnsafe(ref s, (nuint)i)) * Vector512.LoadUnsafe(ref r, (nuint)i) / omega)
                        .StoreUnsafe(ref xr, (nuint)i);
            }
            else
                for (; i <= sums.Length - 8; i += 8)
                    (Vector512.LoadUnsafe(ref xr, (nuint)i) + Vector512.ConvertToDouble(Vector512.LoadUnsafe(ref s, (nuint)i)) * Vector512.LoadUnsafe(ref r, (nuint)i))
                        .StoreUnsafe(ref xr, (nuint)i);
        }
        if (sourceOmega is { } omega1) for (; i < sums.Length; i++) x[i] += sums[i] * rowScales[i] / omega1;
        else for (; i < sums.Length; i++) x[i] += sums[i] * rowScales[i];
    }

    /// <summary>
    /// The units' step from their inputs x (units <paramref name="firstUnit"/>.. of the population): f(x), then either
    /// the population's quantizer <paramref name="rule"/> on integer states (payload n, activity n/ω or the send-on-delta level L/ω,
    /// counts written) or, without ω, activity f(x) and payload round(f(x)·2^16). <paramref name="fx"/> is scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnitsStep(Activation f, double? omega, QuantizerRule rule, int firstUnit, ReadOnlySpan<double> x, Span<double> fx, Span<long> state,
        Span<long> payloads, Span<double> activity, Span<int> counts)
    {
        Activations.ApplyAll(f, x, fx);
        if (omega is { } w)
        {
            QuantizerStep(rule, state, fx, w, counts, firstUnit);
            if (Quantizers.SendsDeltas(rule))
                for (int i = 0; i < x.Length; i++) { payloads[i] = counts[i]; activity[i] = state[i] / w; }   // the level L/ω
            else
                for (int i = 0; i < x.Length; i++) { payloads[i] = counts[i]; activity[i] = counts[i] / w; }
        }
        else
        {
            fx.CopyTo(activity);
            RoundScaled(fx, 1.0, PayloadScale, payloads);
        }
    }
}
