using System.Runtime.Intrinsics;

namespace HybridSpike.Core.Numerics;

/// <summary>The activation functions an artifact can name. Training also accepts user-supplied ones,
/// which stay on the training side (an artifact needs a function every simulator knows).</summary>
public enum Activation
{
    /// <summary>f(x) = x. Signed: its spike counts can be negative.</summary>
    Linear,
    /// <summary>f(x) = max(0, x).</summary>
    Relu,
    /// <summary>f(x) = tanh(x). Signed.</summary>
    Tanh,
    /// <summary>f(x) = 1 / (1 + e^-x).</summary>
    Sigmoid,
}

/// <summary>
/// The one scalar definition of each activation and its derivative. tanh and σ are HybridSpike's own
/// (<see cref="Elementary"/>: within 0.6 ulp, the same bits on every platform and at every vector width), not the C library's,
/// so that the golden models and the mesh cores agree on every node.
/// </summary>
public static class Activations
{
    public static double Apply(Activation f, double x) => f switch
    {
        Activation.Linear => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.Tanh => Elementary.Tanh(x),
        Activation.Sigmoid => Elementary.Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    /// <summary>f(x) for every element: <see cref="Apply"/>, the same doubles, vectorized. x and f(x) may be the same span.</summary>
    public static void ApplyAll(Activation f, ReadOnlySpan<double> x, Span<double> fx)
    {
        if (fx.Length != x.Length) throw new ArgumentException($"spans differ: x {x.Length}, f(x) {fx.Length}");
        switch (f)
        {
            case Activation.Linear:
                x.CopyTo(fx);
                return;
            case Activation.Relu:
                int i = 0;
                if (Vector512.IsHardwareAccelerated)
                    for (; i <= x.Length - 8; i += 8)
                    {
                        var v = Vector512.Create(x.Slice(i, 8));
                        // x > 0 ? x : 0, lane by lane, as the scalar form (NaN and −0 give +0)
                        Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<double>.Zero), v, Vector512<double>.Zero).CopyTo(fx.Slice(i, 8));
                    }
                for (; i < x.Length; i++) fx[i] = x[i] > 0 ? x[i] : 0;
                return;
            case Activation.Tanh:
                Elementary.Tanh(x, fx);
                return;
            case Activation.Sigmoid:
                Elementary.Sigmoid(x, fx);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(f), f, null);
        }
    }

    /// <summary>f'(x) from f itself: tanh' = 1 − tanh², σ' = σ(1 − σ); relu's derivative at 0 is taken as 0 (as torch does).</summary>
    public static double Derivative(Activation f, double x)
    {
        switch (f)
        {
            case Activation.Linear: return 1;
            case Activation.Relu: return x > 0 ? 1 : 0;
            case Activation.Tanh: { double t = Elementary.Tanh(x); return 1 - t * t; }
            case Activation.Sigmoid: { double s = Elementary.Sigmoid(x); return s * (1 - s); }
            default: throw new ArgumentOutOfRangeException(nameof(f), f, null);
        }
    }

    /// <summary>Whether f takes negative values, so that its spike counts carry a sign (one more bit).</summary>
    public static bool IsSigned(Activation f) => f is Activation.Linear or Activation.Tanh;

    /// <summary>Parses a config or artifact name (case-insensitive); the error lists the valid names.</summary>
    public static Activation Parse(string name, string what = "activation") =>
        Enum.TryParse<Activation>(name, ignoreCase: true, out var f) && Enum.IsDefined(f)
            ? f
            : throw new ArgumentException($"{what}: unknown activation '{name}'; valid: {string.Join(", ", Enum.GetNames<Activation>().Select(n => n.ToLowerInvariant()))}");

    public static string Name(Activation f) => f.ToString().ToLowerInvariant();
}
