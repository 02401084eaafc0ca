using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Compile;

/// <summary>
/// One core block of a connection's weights: the rows of one target piece, as signed mantissas
/// of the profile's weight bits sharing one exponent (w = m·2^e).
/// </summary>
public sealed record WeightBlock(int Connection, string Target, int TargetStart, int TargetCount, int Sources, int Exponent, ImmutableArray<int> Mantissas)
{
    public double Weight(int row, int source) => FixedPoint.Value(Mantissas[row * Sources + source], Exponent);
}

/// <summary>How far discretization moved one connection's weights.</summary>
public sealed record ConnectionError(int Connection, string Source, string Target, double MaxAbsoluteError, double MaxAbsoluteWeight);

/// <summary>
/// The split network with its weights discretized: the blocks, and the network whose weights are
/// exactly the blocks' values (so the golden simulator can measure the discretization effect).
/// </summary>
public sealed record DiscretizedNetwork(SplitNetwork Split, NetworkDescription Network, ImmutableArray<WeightBlock> Blocks, ImmutableArray<ConnectionError> Errors)
{
    /// <summary>The network in the mesh's fixed-point arithmetic: each connection's mantissas with its rows' block exponents.</summary>
    public FixedPointNetwork FixedPoint()
    {
        // The blocks by connection, looked up once: a scan of all blocks per connection is quadratic (minutes at 10^5 connections).
        var blocks = Blocks.ToLookup(b => b.Connection);
        var weights = Network.Connections.Select((c, ci) =>
        {
            var mantissas = new int[c.Weights.Targets * c.Weights.Sources];
            var exponents = new int[c.Weights.Targets];
            foreach (var b in blocks[ci])
            {
                b.Mantissas.CopyTo(mantissas, b.TargetStart * b.Sources);
                for (int r = 0; r < b.TargetCount; r++) exponents[b.TargetStart + r] = b.Exponent;
            }
            return new FixedPointWeights(c.Weights.Targets, c.Weights.Sources, ImmutableArray.Create(mantissas), ImmutableArray.Create(exponents));
        });
        var result = new FixedPointNetwork(Network, [.. weights]);
        result.Validate();
        return result;
    }
}

/// <summary>How many weights share one exponent.</summary>
public enum ExponentBlock
{
    /// <summary>One exponent per connection per core (the rows of one target piece).</summary>
    Core,
    /// <summary>One exponent per connection per target unit.</summary>
    Row,
}

/// <summary>
/// The discretize stage: every connection's weights, per target piece (a core's block), become
/// mantissas of <c>profile.Core.WeightBits</c> bits with the smallest shared exponent that holds the
/// block's largest weight (<see cref="FixedPoint"/>, the one copy of that math). Sparse connections
/// are discretized the same way (per target piece) and stay sparse in the discretized network.
/// </summary>
public static class Discretize
{
    public static DiscretizedNetwork Run(SplitNetwork split) => Run(split, ExponentBlock.Core);

    public static DiscretizedNetwork Run(SplitNetwork split, ExponentBlock exponents)
    {
        var net = split.Network;
        int bits = split.Profile.Core.WeightBits;
        var blocks = ImmutableArray.CreateBuilder<WeightBlock>();
        var errors = ImmutableArray.CreateBuilder<ConnectionError>();
        var connections = ImmutableArray.CreateBuilder<Connection>();
        for (int ci = 0; ci < net.Connections.Length; ci++)
        {
            var c = net.Connections[ci];
            var sparse = c.Weights as SparseWeights;
            var m = c.Weights switch
            {
                DenseWeights dense => dense.Matrix,
                SparseWeights sp => Densify(c, sp),
                _ => throw new CompileException($"discretize: connection {c.Source} -> {c.Target}: unknown weights {c.Weights.GetType().Name}"),
            };
            var values = new double[m.Rows * m.Columns];
            double maxError = 0, maxWeight = 0;
            var blocksOfRows = exponents == ExponentBlock.Core
                ? split.Of(c.Target).Select(p => (p.Start, p.Count))
                : Enumerable.Range(0, m.Rows).Select(r => (Start: r, Count: 1));
            foreach (var piece in blocksOfRows)
            {
                var rows = m.Values.Span.Slice(piece.Start * m.Columns, piece.Count * m.Columns);
                int e = FixedPoint.BlockExponent(rows, bits);
                var mantissas = new int[rows.Length];
                for (int k = 0; k < rows.Length; k++)
                {
                    mantissas[k] = FixedPoint.Mantissa(rows[k], e, bits);
                    double v = FixedPoint.Value(mantissas[k], e);
                    values[piece.Start * m.Columns + k] = v;
                    maxError = Math.Max(maxError, Math.Abs(v - rows[k]));
                    maxWeight = Math.Max(maxWeight, Math.Abs(rows[k]));
                }
                blocks.Add(new WeightBlock(ci, c.Target, piece.Start, piece.Count, m.Columns, e, ImmutableArray.Create(mantissas)));
            }
            errors.Add(new ConnectionError(ci, c.Source, c.Target, maxError, maxWeight));
            // A sparse connection stays sparse (the golden simulator runs it as such), with its discretized values.
            connections.Add(c with
            {
                Weights = sparse is null
                    ? new DenseWeights(Matrix.Create(m.Rows, m.Columns, values))
                    : sparse with { Values = [.. Enumerable.Range(0, sparse.Values.Length).Select(k => values[sparse.TargetIndex[k] * m.Columns + sparse.SourceIndex[k]])] },
            });
        }
        var discretized = net with { Connections = connections.ToImmutable() };
        discretized.Validate();
        return new DiscretizedNetwork(split, discretized, blocks.ToImmutable(), errors.ToImmutable());
    }

    /// <summary>
    /// A sparse connection as a dense matrix for discretizing (its blocks' exponents and mantissas are
    /// per target piece, as for dense weights). A synapse listed twice is refused: its two weights would
    /// be rounded as one sum, which is not what the golden simulator adds.
    /// </summary>
    private static Matrix Densify(Connection c, SparseWeights sp)
    {
        var values = new double[(long)sp.Targets * sp.Sources];
        var seen = new HashSet<long>();
        for (int k = 0; k < sp.Values.Length; k++)
        {
            long at = (long)sp.TargetIndex[k] * sp.Sources + sp.SourceIndex[k];
            if (!seen.Add(at))
                throw new CompileException($"discretize: connection {c.Source} -> {c.Target}: synapse (target {sp.TargetIndex[k]}, source {sp.SourceIndex[k]}) is listed twice; merge it into one weight");
            values[at] = sp.Values[k];
        }
        return Matrix.Create(sp.Targets, sp.Sources, values);
    }
}
