using System.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

/// <summary>
/// tanh and σ of a double as exact rationals to about 2^−290 relative, in BigInteger arithmetic only (no libm),
/// and the distance of a computed double from them in ulps of the exact value.
/// <para>
/// e^y, y ≤ 0: y as a fixed-point integer Y = y·2^P (P = 300 fraction bits; exact unless |y| &lt; 2^−247,
/// where only σ needs it and σ ≈ 1/2 there), k = round(Y / ln2), r = Y − k·ln2 with |r| ≤ 0.35·2^P,
/// e^r by its Taylor series to the last bit, e^y = E·2^(k − P). ln 2 = 2·atanh(1/3) = Σ 2/((2j+1)·3^(2j+1)).
/// tanh a = (1 − u)/(1 + u), u = e^−2a; σ = 1/(1 + e^−x) or e^x/(1 + e^x). For a &lt; 2^−20, tanh a is the
/// exact rational a − a³/3 + 2a⁵/15 − 17a⁷/315 (the rest is below 2^−160 relative).
/// </para>
/// </summary>
internal static class ExactActivations
{
    private const int P = 300;
    private static readonly BigInteger One = BigInteger.One << P;
    private static readonly BigInteger Ln2 = ComputeLn2();

    /// <summary>An exact nonnegative rational num/den.</summary>
    public readonly record struct Rational(BigInteger Num, BigInteger Den);

    /// <summary>tanh(|x|) for finite x (|x| &gt; 40 is taken at 40: the difference is under 2^−60 ulp).</summary>
    public static Rational TanhOfMagnitude(double x)
    {
        var (m, e) = Decompose(Math.Abs(x));
        if (m.IsZero) return new(0, 1);
        if (Math.Abs(x) < 9.5367431640625E-07)
        {
            // a = m·2^e, e < 0: over the common denominator 315·2^(−7e)
            int s = -e;
            BigInteger a = m, a2 = m * m;
            BigInteger num = 315 * a * BigInteger.Pow(2, 6 * s) - 105 * a * a2 * BigInteger.Pow(2, 4 * s)
                + 42 * a * a2 * a2 * BigInteger.Pow(2, 2 * s) - 17 * a * a2 * a2 * a2;
            return new(num, 315 * BigInteger.Pow(2, 7 * s));
        }
        var (big, k) = Exp(-2 * Math.Min(Math.Abs(x), 40));
        BigInteger unit = BigInteger.One << (P - k); // u = big / unit
        return new(unit - big, unit + big);
    }

    /// <summary>σ(x) for finite x (|x| &gt; 1000 is taken at 1000: the difference is far below one subnormal).</summary>
    public static Rational Sigmoid(double x)
    {
        double a = Math.Min(Math.Abs(x), 1000);
        var (big, k) = Exp(-a);
        BigInteger unit = BigInteger.One << (P - k); // v = e^−|x| = big / unit
        return x >= 0 ? new(unit, unit + big) : new(big, unit + big);
    }

    /// <summary>|computed − exact| in ulps of the exact value (the subnormal ulp 2^−1074 below 2^−1022); exact ≥ 0.</summary>
    public static double UlpError(double computed, Rational exact)
    {
        if (!double.IsFinite(computed)) return double.PositiveInfinity;
        var (cm, ce) = Decompose(Math.Abs(computed));
        if (computed < 0) cm = -cm;
        // the exact value's binade 2^b ≤ num/den < 2^(b+1)
        int b;
        if (exact.Num.IsZero) b = -1074;
        else
        {
            b = (int)(exact.Num.GetBitLength() - exact.Den.GetBitLength());
            if (Scaled(exact.Num, -b) < exact.Den) b--;
        }
        int ulp = Math.Max(b - 52, -1074);
        // |cm·2^ce − num/den| / 2^ulp = |cm·den·2^ce − num| / (den·2^ulp), all scaled by 2^−shift to integers
        int shift = Math.Min(Math.Min(ce, ulp), 0);
        BigInteger diff = BigInteger.Abs(cm * exact.Den * BigInteger.Pow(2, ce - shift) - exact.Num * BigInteger.Pow(2, -shift));
        BigInteger den = exact.Den * BigInteger.Pow(2, ulp - shift);
        return (double)(diff * (BigInteger.One << 40) / den) / 1099511627776.0;
    }

    /// <summary>e^y = big·2^(k − P), y ≤ 0.</summary>
    private static (BigInteger Big, int K) Exp(double y)
    {
        var (m, e) = Decompose(-y);
        BigInteger fixedY = -Scaled(m, e + P);
        BigInteger k = -((Ln2 - 2 * fixedY) / (2 * Ln2)); // round(Y/ln2) = −floor(−Y/ln2 + 1/2), Y ≤ 0
        BigInteger r = fixedY - k * Ln2;
        BigInteger sum = One, term = One;
        for (int n = 1; !term.IsZero; n++)
        {
            term = term * r / (One * n);
            sum += term;
        }
        return (sum, (int)k);
    }

    private static BigInteger ComputeLn2()
    {
        BigInteger sum = 0, scale = One << 20; // 20 guard bits
        BigInteger power = 3;
        for (int j = 0; ; j++)
        {
            BigInteger term = 2 * scale / ((2 * j + 1) * power);
            if (term.IsZero) break;
            sum += term;
            power *= 9;
        }
        return sum >> 20;
    }

    /// <summary>x = m·2^e exactly, m ≥ 0.</summary>
    private static (BigInteger M, int E) Decompose(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        return exponent == 0 ? (fraction, -1074) : (fraction | (1L << 52), exponent - 1075);
    }

    /// <summary>m·2^s, truncated when s &lt; 0.</summary>
    private static BigInteger Scaled(BigInteger m, int s) => s >= 0 ? m << s : m >> -s;
}
