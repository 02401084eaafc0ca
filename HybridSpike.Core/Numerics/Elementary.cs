using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HybridSpike.Core.Numerics;

/// <summary>
/// HybridSpike's own tanh and logistic sigmoid, in plain IEEE-754 binary64 arithmetic, so that every node
/// computes the same bits. <see cref="Math.Tanh"/> and <see cref="Math.Exp"/> come from the platform's C
/// library, and libms differ in the last bit; a mesh core and the golden model on different machines
/// would then disagree on a spike count whenever f(x)·ω lands on a rounding boundary.
/// <para>
/// Determinism: the kernel uses only +, −, ×, ÷ (each correctly rounded by IEEE 754), comparisons, selects and
/// bit operations; no fused multiply-add (whether a platform has one, and whether its software fallback is
/// exact, cannot change the result) and no library call. RyuJIT does not contract a·b + c on its own. The
/// scalar form, <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/> run one
/// generic kernel (<c>ILane</c>), the same operations in the same order on each lane, so every width gives the
/// identical bits, branches included (every lane computes every path and selects).
/// </para>
/// <para>
/// exp(y), y ∈ [−746, 0] (Cody–Waite reduction, kept as a double-double): k = round(y/ln 2) (the
/// 1.5·2^52 shifter, ties to even), r = y − k·ln2hi − k·ln2lo with ln2hi = 0x3FE62E42FEE00000 (32 bits, so
/// k·ln2hi and y − k·ln2hi are exact for |k| ≤ 2^11) and the difference kept as rh + rl (TwoSum); then
/// e^r = 1 + r + r²/2 + r³·Q(r), |r| ≤ 0.3467, where r²/2 of the head is exact (Veltkamp split of rh),
/// Q is a degree-9 near-minimax (Chebyshev) fit of (e^r − 1 − r − r²/2)/r³ with |r³·ΔQ| ≤ 2^−60.3, and
/// the sum is carried as a double-double eh + el. The pair is accurate to about 2^−58 relative.
/// e^y = (eh + el)·2^k, 2^k applied as two normal powers of two 2^k1·2^k2 (2^k itself can be subnormal).
/// </para>
/// <para>
/// tanh(x) = sign(x)·t(|x|):
/// for a = |x| &lt; 0.25, t(a) = a + a·s·P(s), s = a², P a degree-7 near-minimax fit of (tanh(a)/a − 1)/s
/// (|s·ΔP| ≤ 2^−59.5; the correction a·s·P is at most 2.1% of the result, so its few-ulp evaluation error
/// costs at most about 0.05 ulp of t; for tiny a, a·s·P underflows and t = a, so tanh(±0) = ±0);
/// for 0.25 ≤ a, t(a) = (1 − u)/(1 + u), u = e^(−2·min(a, 22)), numerator and denominator as double-doubles
/// and a double-double division (q0 = N·(1/D), remainder N − q0·D by Dekker's product, q1 = remainder·(1/D)),
/// rounded once as q0 + q1. From a ≈ 19.06 on this rounds to 1 exactly; min(a, 22) keeps e^(−2a) normal.
/// </para>
/// <para>
/// σ(x) = 1/(1 + e^−x): with v = e^(−|x|) = E·2^k (E = eh + el), σ = 1/(1 + v) for x ≥ 0 and
/// σ = 2^k·E/(1 + v) for x &lt; 0 (no cancellation either way), the same double-double division, |x| clamped
/// to 746 (beyond it σ rounds to 1, or to 0 below −745.13). A subnormal result (x &lt; −708.4) is rounded once,
/// on its own grid: as 1 + σ·2^1022, whose ulp is 2^−1074·2^1022, then − 1 and · 2^−1022, both exact.
/// </para>
/// <para>
/// Accuracy, against a 300-bit BigInteger reference (tests/HybridSpike.Core.Tests/Numerics/ElementaryTests.cs):
/// both are within 0.6 ulp of the exact value over the whole double range, subnormal results included
/// (the largest error measured over 8·10^5 seeded arguments: 0.547 ulp for tanh, at |x| just below 1/4,
/// where the polynomial's few-ulp correction is largest; 0.517 ulp for σ; the error analysis above leaves under
/// 0.07 ulp before the final rounding). That is: correctly rounded except near a rounding tie, and faithful. NaN gives NaN, tanh(±∞) = ±1, σ(+∞) = 1, σ(−∞) = +0.
/// </para>
/// </summary>
public static class Elementary
{
    /// <summary>tanh(x), the scalar form of the vector kernel (identical bits).</summary>
    public static double Tanh(double x) => Kernel.Tanh(new Lane1(x)).V;

    /// <summary>1/(1 + e^−x), the scalar form of the vector kernel (identical bits).</summary>
    public static double Sigmoid(double x) => Kernel.Sigmoid(new Lane1(x)).V;

    /// <summary>tanh of each lane; the same bits as <see cref="Tanh(double)"/>.</summary>
    public static Vector128<double> Tanh(Vector128<double> x) => Kernel.Tanh(new Lane2(x)).V;

    /// <summary>tanh of each lane; the same bits as <see cref="Tanh(double)"/>.</summary>
    public static Vector256<double> Tanh(Vector256<double> x) => Kernel.Tanh(new Lane4(x)).V;

    /// <summary>tanh of each lane; the same bits as <see cref="Tanh(double)"/>.</summary>
    public static Vector512<double> Tanh(Vector512<double> x) => Kernel.Tanh(new Lane8(x)).V;

    /// <summary>σ of each lane; the same bits as <see cref="Sigmoid(double)"/>.</summary>
    public static Vector128<double> Sigmoid(Vector128<double> x) => Kernel.Sigmoid(new Lane2(x)).V;

    /// <summary>σ of each lane; the same bits as <see cref="Sigmoid(double)"/>.</summary>
    public static Vector256<double> Sigmoid(Vector256<double> x) => Kernel.Sigmoid(new Lane4(x)).V;

    /// <summary>σ of each lane; the same bits as <see cref="Sigmoid(double)"/>.</summary>
    public static Vector512<double> Sigmoid(Vector512<double> x) => Kernel.Sigmoid(new Lane8(x)).V;

    /// <summary>y[i] = tanh(x[i]) at the widest accelerated width. x and y may be the same span (not otherwise overlapping).</summary>
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y) => Map<TanhOf>(x, y);

    /// <summary>y[i] = σ(x[i]) at the widest accelerated width. x and y may be the same span (not otherwise overlapping).</summary>
    public static void Sigmoid(ReadOnlySpan<double> x, Span<double> y) => Map<SigmoidOf>(x, y);

    private interface IFunction
    {
        static abstract T Of<T>(T x) where T : struct, ILane<T>;
    }

    private readonly struct TanhOf : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Of<T>(T x) where T : struct, ILane<T> => Kernel.Tanh(x);
    }

    private readonly struct SigmoidOf : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Of<T>(T x) where T : struct, ILane<T> => Kernel.Sigmoid(x);
    }

    // Each width in its own method and the tail in another: one inlined kernel per method keeps its
    // temporaries in registers (two in one method exceed what the JIT tracks, and it spills them all).
    private static void Map<F>(ReadOnlySpan<double> x, Span<double> y) where F : struct, IFunction
    {
        if (y.Length != x.Length) throw new ArgumentException($"spans differ: x {x.Length}, y {y.Length}");
        if (Vector512.IsHardwareAccelerated) Map<F, Lane8>(x, y);
        else if (Vector256.IsHardwareAccelerated) Map<F, Lane4>(x, y);
        else if (Vector128.IsHardwareAccelerated) Map<F, Lane2>(x, y);
        else MapScalar<F>(x, y);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MapScalar<F>(ReadOnlySpan<double> x, Span<double> y) where F : struct, IFunction
    {
        for (int i = 0; i < x.Length; i++) y[i] = F.Of(new Lane1(x[i])).V;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Map<F, T>(ReadOnlySpan<double> x, Span<double> y) where F : struct, IFunction where T : struct, IVectorLane<T>
    {
        int i = 0;
        for (; i <= x.Length - T.Count; i += T.Count) F.Of(T.Load(x.Slice(i))).Store(y.Slice(i));
        if (i < x.Length) Tail<F, T>(x.Slice(i), y.Slice(i));
    }

    /// <summary>
    /// The last elements (fewer than a vector) through one padded vector rather than one by one: lanes are
    /// independent, so their bits are those of the scalar form, at a vector's cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tail<F, T>(ReadOnlySpan<double> x, Span<double> y) where F : struct, IFunction where T : struct, IVectorLane<T>
    {
        Span<double> pad = stackalloc double[8];
        pad.Clear();
        x.CopyTo(pad);
        F.Of(T.Load(pad)).Store(pad);
        pad.Slice(0, x.Length).CopyTo(y);
    }

    /// <summary>The kernel, once, over any lane width (see the class comment for the method).</summary>
    private static class Kernel
    {
        private const double Shifter = 6755399441055744.0;          // 1.5·2^52: (v + S) − S rounds v to an integer, ties to even
        private const double Log2E = 1.4426950408889634;             // 1/ln 2
        private const double Ln2Hi = 6.93147180369123816490e-01;     // 0x3FE62E42FEE00000, ln 2's first 32 bits
        private const double NegLn2Lo = -1.90821492927058770002e-10; // −(ln 2 − Ln2Hi), 0x3DEA39EF35793C76 negated
        private const double Split = 134217729.0;                    // 2^27 + 1, Veltkamp's splitter
        private const double ExponentBias = 1023 + Shifter;          // bits(k + this) end in k + 1023
        private const double TanhSmall = 0.25;                       // below: the odd polynomial
        private const double TanhClamp = 22;                         // tanh(x) rounds to 1 from 19.06; e^−44 stays normal
        private const double SigmoidClamp = 746;                     // σ rounds to 1 / 0 beyond; e^−746 is below the subnormals
        private const double SmallestNormal = 2.2250738585072014E-308; // 2^−1022

        // (e^r − 1 − r − r²/2)/r³ ≈ Σ Qi·r^i on |r| ≤ 0.3467 (Chebyshev fit at 60 digits, coefficients rounded to double).
        private const double Q0 = 0.16666666666666669, Q1 = 0.041666666666666664, Q2 = 0.008333333333330055,
            Q3 = 0.0013888888888886548, Q4 = 0.00019841269863088255, Q5 = 2.4801587317169235e-05,
            Q6 = 2.7557268406190795e-06, Q7 = 2.7557282931125736e-07, Q8 = 2.51004110820149e-08, Q9 = 2.091125490208877e-09;

        // (tanh(a)/a − 1)/a² ≈ Σ Pi·s^i on s = a² ∈ [0, 1/16] (the same kind of fit).
        private const double P0 = -0.3333333333333333, P1 = 0.1333333333333302, P2 = -0.053968253967195144,
            P3 = 0.021869488400359696, P4 = -0.008863226966122328, P5 = 0.0035918341340072982,
            P6 = -0.0014502234715960424, P7 = 0.0005336803027405916;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Tanh<T>(T x) where T : struct, ILane<T>
        {
            T one = T.Of(1);
            T a = T.Abs(x);

            // a < 1/4: a + a·s·P(s)
            T s = a * a;
            T p = T.Of(P7);
            p = p * s + T.Of(P6); p = p * s + T.Of(P5); p = p * s + T.Of(P4);
            p = p * s + T.Of(P3); p = p * s + T.Of(P2); p = p * s + T.Of(P1); p = p * s + T.Of(P0);
            T small = a + a * s * p;

            // otherwise (1 − u)/(1 + u), u = e^−2a (NaN compares false and takes the clamp; it is restored below)
            T clamped = T.Select(T.Less(a, T.Of(TanhClamp)), a, T.Of(TanhClamp));
            Exp(T.Of(-2) * clamped, out T eh, out T el, out T k);
            Pow2Halves(k, out T p1, out T p2);
            T uh = eh * p1 * p2, ul = el * p1 * p2;
            T nh = one - uh, nl = one - nh - uh - ul;  // Fast2Sum: 1 ≥ u
            T dh = one + uh, dl = one - dh + uh + ul;
            Divide(nh, nl, dh, dl, out T qh, out T ql);
            T large = qh + ql;

            T t = T.Select(T.Less(a, T.Of(TanhSmall)), small, large);
            return T.Select(T.IsNaN(x), x, T.WithSignOf(t, x));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Sigmoid<T>(T x) where T : struct, ILane<T>
        {
            T one = T.Of(1), zero = T.Of(0);
            T negative = T.Less(x, zero);
            T a = T.Abs(x);
            T clamped = T.Select(T.Less(a, T.Of(SigmoidClamp)), a, T.Of(SigmoidClamp));
            Exp(zero - clamped, out T eh, out T el, out T k);
            Pow2Halves(k, out T p1, out T p2);
            T vh = eh * p1 * p2, vl = el * p1 * p2;    // v = e^−|x|, possibly subnormal or 0
            T dh = one + vh, dl = one - dh + vh + vl;  // Fast2Sum: 1 ≥ v
            // x ≥ 0: 1/(1 + v); x < 0: e^x/(1 + v) = 2^k·E/(1 + v), E = eh + el ∈ [0.7, 1.42], scaled last
            Divide(T.Select(negative, eh, one), T.Select(negative, el, zero), dh, dl, out T wh, out T wl);
            T y = (wh + wl) * T.Select(negative, p1, one) * T.Select(negative, p2, one);
            // A subnormal result must be rounded once, on its own grid 2^−1074, not first to 53 bits: scaled by
            // 2^1022 that grid is the ulp of [1, 2), so 1 + w·2^(k+1022) rounds it, and − 1 and · 2^−1022 are exact.
            T toOne = T.ExponentField(k + T.Of(1022 + ExponentBias));
            T sh = wh * toOne, sl = wl * toOne;
            T oh = one + sh, ol = one - oh + sh + sl;  // Fast2Sum: s < 1 where this is selected
            T subnormal = (oh + ol - one) * T.Of(SmallestNormal);
            y = T.Select(negative, T.Select(T.Less(sh, one), subnormal, y), y);
            return T.Select(T.IsNaN(x), x, y);
        }

        /// <summary>
        /// e^y = (eh + el)·2^k for y ∈ [−746, 0]: eh + el ∈ [0.70, 1.42] to about 2^−58 relative, k an integer (as a double).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Exp<T>(T y, out T eh, out T el, out T k) where T : struct, ILane<T>
        {
            T one = T.Of(1), half = T.Of(0.5);
            k = y * T.Of(Log2E) + T.Of(Shifter) - T.Of(Shifter);
            T hi = y - k * T.Of(Ln2Hi);                // exact (Sterbenz; k·Ln2Hi has at most 43 bits)
            T lo = k * T.Of(NegLn2Lo);
            T rh = hi + lo;                            // TwoSum: |hi| may be smaller than |lo|
            T bb = rh - hi;
            T rl = hi - (rh - bb) + (lo - bb);

            T c = rh * T.Of(Split);                    // Veltkamp: rh = h + l, h with 26 bits, so h·h is exact
            T h = c - (c - rh);
            T l = rh - h;
            T hh = h * h * half;
            T squareTail = h * l + l * l * half;       // rh²/2 − h²/2
            T q = T.Of(Q9);
            q = q * rh + T.Of(Q8); q = q * rh + T.Of(Q7); q = q * rh + T.Of(Q6); q = q * rh + T.Of(Q5);
            q = q * rh + T.Of(Q4); q = q * rh + T.Of(Q3); q = q * rh + T.Of(Q2); q = q * rh + T.Of(Q1);
            q = q * rh + T.Of(Q0);
            T cubic = rh * rh * rh * q;

            T s1 = one + rh, e1 = one - s1 + rh;       // Fast2Sum: |rh| ≤ 1
            T s2 = s1 + hh, e2 = s1 - s2 + hh;         // Fast2Sum: s1 ≥ 0.65 > hh
            T tail = e1 + e2 + (squareTail + cubic) + (rl + rl * (rh + hh)); // rl·e^rh to second order
            eh = s2 + tail;
            el = s2 - eh + tail;
        }

        /// <summary>2^k as two normal powers of two 2^k1·2^k2, k1 = round(k/2), k2 = k − k1 (k ∈ [−1077, 0]).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pow2Halves<T>(T k, out T p1, out T p2) where T : struct, ILane<T>
        {
            T k1 = k * T.Of(0.5) + T.Of(Shifter) - T.Of(Shifter);
            p1 = T.ExponentField(k1 + T.Of(ExponentBias));
            p2 = T.ExponentField(k - k1 + T.Of(ExponentBias));
        }

        /// <summary>
        /// (nh + nl)/(dh + dl) as q0 + q1 with one division: i = 1/dh, q0 = nh·i (within an ulp or two of the
        /// quotient), the remainder nh − q0·dh by Dekker's exact product (nh − q0·dh itself is exact, Sterbenz),
        /// corrected by nl − q0·dl, times i. The remainder is ~2^−52 of nh, so its own roundings and i's are
        /// ~2^−105 of the quotient. dh, nh ∈ (2^−2, 2^1].
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Divide<T>(T nh, T nl, T dh, T dl, out T q0, out T q1) where T : struct, ILane<T>
        {
            T inverse = T.Of(1) / dh;
            q0 = nh * inverse;
            T split = T.Of(Split);
            T cq = q0 * split, qh = cq - (cq - q0), ql = q0 - qh;
            T cd = dh * split, dhh = cd - (cd - dh), dhl = dh - dhh;
            T prod = q0 * dh;
            T prodError = qh * dhh - prod + qh * dhl + ql * dhh + ql * dhl; // q0·dh − prod, exactly
            T remainder = nh - prod - prodError + (nl - q0 * dl);
            q1 = remainder * inverse;
        }
    }

    /// <summary>
    /// The operations the kernel uses, on one to eight doubles. A mask is a lane of all ones or all zeros bits.
    /// Every member is the per-lane IEEE operation, so each width computes the same bits.
    /// </summary>
    internal interface ILane<T> where T : struct, ILane<T>
    {
        static abstract T Of(double c);
        static abstract T operator +(T a, T b);
        static abstract T operator -(T a, T b);
        static abstract T operator *(T a, T b);
        static abstract T operator /(T a, T b);
        static abstract T Abs(T a);
        /// <summary>The mask a &lt; b (false where either is NaN).</summary>
        static abstract T Less(T a, T b);
        static abstract T IsNaN(T a);
        static abstract T Select(T mask, T ifTrue, T ifFalse);
        /// <summary>|magnitude| with the sign bit of sign.</summary>
        static abstract T WithSignOf(T magnitude, T sign);
        /// <summary>The double whose bits are those of v shifted left by 52: 2^(m − 1023) when v's bits end in the 11-bit m.</summary>
        static abstract T ExponentField(T v);
    }

    internal interface IVectorLane<T> : ILane<T> where T : struct, IVectorLane<T>
    {
        static abstract int Count { get; }
        static abstract T Load(ReadOnlySpan<double> x);
        void Store(Span<double> y);
    }

    internal readonly struct Lane1(double v) : ILane<Lane1>
    {
        public readonly double V = v;
        private static double Bits(long b) => BitConverter.Int64BitsToDouble(b);
        private static long Bits(double d) => BitConverter.DoubleToInt64Bits(d);
        public static Lane1 Of(double c) => new(c);
        public static Lane1 operator +(Lane1 a, Lane1 b) => new(a.V + b.V);
        public static Lane1 operator -(Lane1 a, Lane1 b) => new(a.V - b.V);
        public static Lane1 operator *(Lane1 a, Lane1 b) => new(a.V * b.V);
        public static Lane1 operator /(Lane1 a, Lane1 b) => new(a.V / b.V);
        public static Lane1 Abs(Lane1 a) => new(Math.Abs(a.V));
        public static Lane1 Less(Lane1 a, Lane1 b) => new(Bits(a.V < b.V ? -1L : 0L));
        public static Lane1 IsNaN(Lane1 a) => new(Bits(double.IsNaN(a.V) ? -1L : 0L));
        public static Lane1 Select(Lane1 mask, Lane1 ifTrue, Lane1 ifFalse) => Bits(mask.V) != 0 ? ifTrue : ifFalse;
        public static Lane1 WithSignOf(Lane1 magnitude, Lane1 sign) => new(Math.CopySign(magnitude.V, sign.V));
        public static Lane1 ExponentField(Lane1 v) => new(Bits(Bits(v.V) << 52));
    }

    internal readonly struct Lane2(Vector128<double> v) : IVectorLane<Lane2>
    {
        public readonly Vector128<double> V = v;
        public static int Count => 2;
        public static Lane2 Load(ReadOnlySpan<double> x) => new(Vector128.Create(x));
        public void Store(Span<double> y) => V.CopyTo(y);
        public static Lane2 Of(double c) => new(Vector128.Create(c));
        public static Lane2 operator +(Lane2 a, Lane2 b) => new(a.V + b.V);
        public static Lane2 operator -(Lane2 a, Lane2 b) => new(a.V - b.V);
        public static Lane2 operator *(Lane2 a, Lane2 b) => new(a.V * b.V);
        public static Lane2 operator /(Lane2 a, Lane2 b) => new(a.V / b.V);
        public static Lane2 Abs(Lane2 a) => new(Vector128.Abs(a.V));
        public static Lane2 Less(Lane2 a, Lane2 b) => new(Vector128.LessThan(a.V, b.V));
        public static Lane2 IsNaN(Lane2 a) => new(Vector128.IsNaN(a.V));
        public static Lane2 Select(Lane2 mask, Lane2 ifTrue, Lane2 ifFalse) => new(Vector128.ConditionalSelect(mask.V, ifTrue.V, ifFalse.V));
        public static Lane2 WithSignOf(Lane2 magnitude, Lane2 sign) => new(Vector128.CopySign(magnitude.V, sign.V));
        public static Lane2 ExponentField(Lane2 v) => new(Vector128.ShiftLeft(v.V.AsInt64(), 52).AsDouble());
    }

    internal readonly struct Lane4(Vector256<double> v) : IVectorLane<Lane4>
    {
        public readonly Vector256<double> V = v;
        public static int Count => 4;
        public static Lane4 Load(ReadOnlySpan<double> x) => new(Vector256.Create(x));
        public void Store(Span<double> y) => V.CopyTo(y);
        public static Lane4 Of(double c) => new(Vector256.Create(c));
        public static Lane4 operator +(Lane4 a, Lane4 b) => new(a.V + b.V);
        public static Lane4 operator -(Lane4 a, Lane4 b) => new(a.V - b.V);
        public static Lane4 operator *(Lane4 a, Lane4 b) => new(a.V * b.V);
        public static Lane4 operator /(Lane4 a, Lane4 b) => new(a.V / b.V);
        public static Lane4 Abs(Lane4 a) => new(Vector256.Abs(a.V));
        public static Lane4 Less(Lane4 a, Lane4 b) => new(Vector256.LessThan(a.V, b.V));
        public static Lane4 IsNaN(Lane4 a) => new(Vector256.IsNaN(a.V));
        public static Lane4 Select(Lane4 mask, Lane4 ifTrue, Lane4 ifFalse) => new(Vector256.ConditionalSelect(mask.V, ifTrue.V, ifFalse.V));
        public static Lane4 WithSignOf(Lane4 magnitude, Lane4 sign) => new(Vector256.CopySign(magnitude.V, sign.V));
        public static Lane4 ExponentField(Lane4 v) => new(Vector256.ShiftLeft(v.V.AsInt64(), 52).AsDouble());
    }

    internal readonly struct Lane8(Vector512<double> v) : IVectorLane<Lane8>
    {
        public readonly Vector512<double> V = v;
        public static int Count => 8;
        public static Lane8 Load(ReadOnlySpan<double> x) => new(Vector512.Create(x));
        public void Store(Span<double> y) => V.CopyTo(y);
        public static Lane8 Of(double c) => new(Vector512.Create(c));
        public static Lane8 operator +(Lane8 a, Lane8 b) => new(a.V + b.V);
        public static Lane8 operator -(Lane8 a, Lane8 b) => new(a.V - b.V);
        public static Lane8 operator *(Lane8 a, Lane8 b) => new(a.V * b.V);
        public static Lane8 operator /(Lane8 a, Lane8 b) => new(a.V / b.V);
        public static Lane8 Abs(Lane8 a) => new(Vector512.Abs(a.V));
        public static Lane8 Less(Lane8 a, Lane8 b) => new(Vector512.LessThan(a.V, b.V));
        public static Lane8 IsNaN(Lane8 a) => new(Vector512.IsNaN(a.V));
        public static Lane8 Select(Lane8 mask, Lane8 ifTrue, Lane8 ifFalse) => new(Vector512.ConditionalSelect(mask.V, ifTrue.V, ifFalse.V));
        public static Lane8 WithSignOf(Lane8 magnitude, Lane8 sign) => new(Vector512.CopySign(magnitude.V, sign.V));
        public static Lane8 ExponentField(Lane8 v) => new(Vector512.ShiftLeft(v.V.AsInt64(), 52).AsDouble());
    }
}
