using System.Collections.Immutable;

namespace HybridSpike.Core.Network;

/// <summary>One connection's weights in fixed point: mantissas [target, source] and one exponent per target row (its core block's).</summary>
public sealed record FixedPointWeights(int Targets, int Sources, ImmutableArray<int> Mantissas, ImmutableArray<int> RowExponents)
{
    public int Mantissa(int target, int source) => Mantissas[target * Sources + source];
}

/// <summary>
/// A network in the fixed-point arithmetic the mesh runs (docs/mesh.md): the description (structure,
/// biases, ω, delays) plus each connection's discretized weights, in the order of
/// <see cref="NetworkDescription.Connections"/>. Built by the compiler's discretize stage.
/// </summary>
public sealed record FixedPointNetwork(NetworkDescription Network, ImmutableArray<FixedPointWeights> Weights)
{
    public void Validate()
    {
        Network.Validate();
        if (Weights.Length != Network.Connections.Length)
            throw new ArgumentException($"{Weights.Length} fixed-point weight sets for {Network.Connections.Length} connections");
        for (int c = 0; c < Weights.Length; c++)
        {
            var w = Weights[c];
            var conn = Network.Connections[c];
            if (w.Targets != conn.Weights.Targets || w.Sources != conn.Weights.Sources || w.Mantissas.Length != w.Targets * w.Sources || w.RowExponents.Length != w.Targets)
                throw new ArgumentException($"connection {conn.Source} -> {conn.Target}: fixed-point weights are {w.Targets}x{w.Sources} with {w.Mantissas.Length} mantissas and {w.RowExponents.Length} exponents");
        }
    }
}
