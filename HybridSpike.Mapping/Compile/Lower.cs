using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Compile;

/// <summary>
/// The first stage: rewrites the network into an equivalent one that discretizes better. A
/// one-step recurrence W of a population onto itself whose diagonal sits near 1 (the LMU memory's
/// Ā, a leaky integrator's decay) becomes two connections, I + (W − I), when that shrinks the
/// largest weight left to discretize: the identity is exact in any weight format and W − I gets a
/// finer exponent. The two connections compute the same sums as W.
/// </summary>
public static class Lower
{
    public static NetworkDescription SplitIdentity(NetworkDescription network)
    {
        var result = ImmutableArray.CreateBuilder<Connection>();
        foreach (var c in network.Connections)
        {
            if (c.Source == c.Target && c.Delay == Delay.OneStep && c.Weights is DenseWeights { Matrix: var m } && m.Rows == m.Columns)
            {
                var rest = Matrix.Create(m.Rows, m.Columns, (i, j) => m[i, j] - (i == j ? 1 : 0));
                if (MaxAbs(rest) < MaxAbs(m))
                {
                    result.Add(c with { Weights = new DenseWeights(Matrix.Identity(m.Rows)) });
                    result.Add(c with { Weights = new DenseWeights(rest) });
                    continue;
                }
            }
            result.Add(c);
        }
        return network with { Connections = result.ToImmutable() };
    }

    private static double MaxAbs(Matrix m)
    {
        double max = 0;
        foreach (var v in m.Values.Span) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
