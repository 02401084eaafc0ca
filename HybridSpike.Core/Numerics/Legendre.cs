namespace HybridSpike.Core.Numerics;

/// <summary>How the continuous LMU memory is turned into a per-step update.</summary>
public enum Discretization
{
    /// <summary>Zero-order hold: Ā = e^{A·dt}, B̄ = A⁻¹(e^{A·dt} − I)B.</summary>
    ZeroOrderHold,
    /// <summary>Euler: Ā = I + A·dt, B̄ = B·dt.</summary>
    Euler,
}

/// <summary>The discrete LMU memory: m_t = Ā m_{t−1} + B̄ u_t.</summary>
/// <param name="A">Ā, d×d.</param>
/// <param name="B">B̄, d×1.</param>
public sealed record LtiSystem(Matrix A, Matrix B)
{
    public int Order => A.Rows;

    /// <summary>The impulse response H[k] = Ā^k B̄ for k = 0..length−1, as a length×d matrix (row k = H[k]).</summary>
    public Matrix ImpulseResponse(int length)
    {
        int d = Order;
        var h = new double[length * d];
        var x = B.ToArray();
        var next = new double[d];
        for (int k = 0; k < length; k++)
        {
            x.CopyTo(h, k * d);
            for (int i = 0; i < d; i++)
            {
                double s = 0;
                var row = A.Row(i);
                for (int j = 0; j < d; j++) s += row[j] * x[j];
                next[i] = s;
            }
            (x, next) = (next, x);
        }
        return Matrix.Wrap(length, d, h);
    }
}

/// <summary>
/// The Legendre Memory Unit's memory (Voelker, Kajić &amp; Eliasmith 2019), the one copy of its
/// matrices. For i, j = 0..d−1:
/// <code>
///   A[i][j] = (2i+1)/θ · (−1 if i &lt; j, else (−1)^(i−j+1))
///   B[i]    = (2i+1)/θ · (−1)^i
/// </code>
/// computed and discretized in float64.
/// </summary>
public static class Legendre
{
    public static Matrix ContinuousA(int order, double theta)
    {
        Validate(order, theta);
        return Matrix.Create(order, order, (i, j) => (2 * i + 1) / theta * (i < j ? -1 : ((i - j + 1) % 2 == 0 ? 1 : -1)));
    }

    public static Matrix ContinuousB(int order, double theta)
    {
        Validate(order, theta);
        return Matrix.Create(order, 1, (i, _) => (2 * i + 1) / theta * (i % 2 == 0 ? 1 : -1));
    }

    /// <summary>The discrete memory for steps of <paramref name="dt"/> (1 = one input step).</summary>
    public static LtiSystem Discretize(int order, double theta, Discretization method, double dt = 1)
    {
        var a = ContinuousA(order, theta);
        var b = ContinuousB(order, theta);
        return method switch
        {
            Discretization.Euler => new LtiSystem(Matrix.Identity(order) + dt * a, dt * b),
            // e^{[[A, B], [0, 0]]·dt} = [[Ā, B̄], [0, 1]]: B̄ without inverting A.
            Discretization.ZeroOrderHold => ZeroOrderHold(a, b, dt),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };
    }

    private static LtiSystem ZeroOrderHold(Matrix a, Matrix b, double dt)
    {
        int d = a.Rows;
        var aug = Matrix.Create(d + 1, d + 1, (i, j) => i < d ? (j < d ? a[i, j] * dt : b[i, 0] * dt) : 0);
        var e = aug.Exp();
        return new LtiSystem(Matrix.Create(d, d, (i, j) => e[i, j]), Matrix.Create(d, 1, (i, _) => e[i, d]));
    }

    private static void Validate(int order, double theta)
    {
        if (order <= 0) throw new ArgumentOutOfRangeException(nameof(order), order, "memory order d must be positive");
        if (!(theta > 0) || double.IsInfinity(theta)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "window θ must be positive");
    }
}
