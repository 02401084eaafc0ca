using System.Collections.Immutable;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>
/// A NIR parameter: a float64 array of any rank in row-major order (rank 0: a scalar). A file may store integers or
/// float32; the reader widens them to float64 (exactly, for integers below 2^53), because every NIR parameter this
/// library maps is a real number.
/// </summary>
/// <param name="Shape">The dimensions, outermost first (NumPy's order); empty for a scalar.</param>
/// <param name="Values">Row-major: the product of <paramref name="Shape"/> values.</param>
public sealed record NirTensor(ImmutableArray<long> Shape, ImmutableArray<double> Values)
{
    /// <summary>Dimensions (0 for a scalar).</summary>
    public int Rank => Shape.Length;

    /// <summary>A vector of <paramref name="values"/>.</summary>
    public static NirTensor Vector(ReadOnlySpan<double> values) => new([values.Length], [.. values]);

    /// <summary>A vector of <paramref name="length"/> copies of <paramref name="value"/>.</summary>
    public static NirTensor Filled(int length, double value) => new([length], [.. Enumerable.Repeat(value, length)]);

    /// <summary>A rows × columns matrix, row-major.</summary>
    public static NirTensor Matrix(int rows, int columns, ReadOnlySpan<double> values)
    {
        if (values.Length != (long)rows * columns) throw new ArgumentException($"a {rows}x{columns} matrix needs {(long)rows * columns} values, got {values.Length}", nameof(values));
        return new([rows, columns], [.. values]);
    }

    /// <summary>The shape as NumPy prints it: "[2, 3]", "[]" for a scalar.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    public bool Equals(NirTensor? other) =>
        other is not null && Shape.AsSpan().SequenceEqual(other.Shape.AsSpan()) && Values.AsSpan().SequenceEqual(other.Values.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Shape.Length, Values.Length, Values.IsEmpty ? 0 : Values[0]);
}

/// <summary>
/// A metadata entry of a node (NIR keeps a free dictionary per node, written as a <c>metadata</c> group). Only the
/// kinds NIR's writer produces are modelled; anything else read from a file is kept as <see cref="NirUnreadableValue"/>.
/// </summary>
public abstract record NirValue;

/// <summary>A string.</summary>
public sealed record NirTextValue(string Value) : NirValue;

/// <summary>A one-dimensional array of strings.</summary>
public sealed record NirTextsValue(ImmutableArray<string> Values) : NirValue
{
    public bool Equals(NirTextsValue? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values.AsSpan());
    public override int GetHashCode() => Values.Length;
}

/// <summary>Floating-point numbers (a scalar is a tensor of rank 0).</summary>
public sealed record NirFloatsValue(NirTensor Tensor) : NirValue;

/// <summary>Signed integers of any rank (indices, counts), kept exact.</summary>
public sealed record NirIntegersValue(ImmutableArray<long> Shape, ImmutableArray<long> Values) : NirValue
{
    /// <summary>A scalar integer.</summary>
    public static NirIntegersValue Scalar(long value) => new([], [value]);

    public bool Equals(NirIntegersValue? other) =>
        other is not null && Shape.AsSpan().SequenceEqual(other.Shape.AsSpan()) && Values.AsSpan().SequenceEqual(other.Values.AsSpan());
    public override int GetHashCode() => Values.Length;
}

/// <summary>A scalar unsigned 64-bit integer (a seed: it need not fit a signed one).</summary>
public sealed record NirUnsignedValue(ulong Value) : NirValue;

/// <summary>A nested dictionary (a group inside <c>metadata</c>).</summary>
public sealed record NirGroupValue(ImmutableSortedDictionary<string, NirValue> Entries) : NirValue
{
    public bool Equals(NirGroupValue? other) => other is not null && NirMetadata.Equal(Entries, other.Entries);
    public override int GetHashCode() => Entries.Count;
}

/// <summary>A metadata entry of an HDF5 type this reader does not map (a compound, a boolean, ...), described.</summary>
public sealed record NirUnreadableValue(string Description) : NirValue;

/// <summary>Helpers for the metadata dictionaries.</summary>
public static class NirMetadata
{
    /// <summary>No metadata.</summary>
    public static ImmutableSortedDictionary<string, NirValue> Empty { get; } = ImmutableSortedDictionary.Create<string, NirValue>(StringComparer.Ordinal);

    /// <summary>A dictionary of <paramref name="entries"/> (ordinal keys, as HDF5 link names compare).</summary>
    public static ImmutableSortedDictionary<string, NirValue> Of(params IEnumerable<KeyValuePair<string, NirValue>> entries) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, entries);

    /// <summary>Entry by entry equality (records compare dictionaries by reference).</summary>
    public static bool Equal(ImmutableSortedDictionary<string, NirValue> a, ImmutableSortedDictionary<string, NirValue> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && Equals(kv.Value, v));
}

/// <summary>
/// A node of a NIR graph: one of NIR's primitives. The types this library maps have a record of their own; every
/// other primitive is read as <see cref="NirOtherNode"/> so that the mapping can refuse it by name.
/// </summary>
public abstract record NirNode
{
    /// <summary>The node's <c>type</c> as NIR writes it ("Affine", "I", "IF", ...).</summary>
    public abstract string Type { get; }

    /// <summary>The node's <c>metadata</c> dictionary (empty when the file has none).</summary>
    public ImmutableSortedDictionary<string, NirValue> Metadata { get; init; } = NirMetadata.Empty;

    // Metadata by its entries: a record would compare the dictionaries by reference.
    public virtual bool Equals(NirNode? other) =>
        other is not null && EqualityContract == other.EqualityContract && NirMetadata.Equal(Metadata, other.Metadata);

    public override int GetHashCode() => HashCode.Combine(EqualityContract, Metadata.Count);
}

/// <summary>NIR's <c>Input</c>: where data enters the graph; <paramref name="Shape"/> is written as the dataset <c>shape</c>.</summary>
public sealed record NirInputNode(ImmutableArray<long> Shape) : NirNode
{
    public override string Type => "Input";
    public bool Equals(NirInputNode? other) => base.Equals(other) && Shape.AsSpan().SequenceEqual(other.Shape.AsSpan());
    public override int GetHashCode() => Shape.Length;
}

/// <summary>NIR's <c>Output</c>: where the graph's result is read; <paramref name="Shape"/> is written as the dataset <c>shape</c>.</summary>
public sealed record NirOutputNode(ImmutableArray<long> Shape) : NirNode
{
    public override string Type => "Output";
    public bool Equals(NirOutputNode? other) => base.Equals(other) && Shape.AsSpan().SequenceEqual(other.Shape.AsSpan());
    public override int GetHashCode() => Shape.Length;
}

/// <summary>NIR's <c>Affine</c>: y = W·x + b, <paramref name="Weight"/> of shape [out, in], <paramref name="Bias"/> of shape [out].</summary>
public sealed record NirAffineNode(NirTensor Weight, NirTensor Bias) : NirNode
{
    public override string Type => "Affine";
}

/// <summary>NIR's <c>Linear</c>: y = W·x, <paramref name="Weight"/> of shape [out, in].</summary>
public sealed record NirLinearNode(NirTensor Weight) : NirNode
{
    public override string Type => "Linear";
}

/// <summary>NIR's <c>Scale</c>: y = s ⊙ x.</summary>
public sealed record NirScaleNode(NirTensor Scale) : NirNode
{
    public override string Type => "Scale";
}

/// <summary>NIR's <c>Delay</c>: y(t) = x(t − τ), one τ per element (in the graph's time unit).</summary>
public sealed record NirDelayNode(NirTensor Delay) : NirNode
{
    public override string Type => "Delay";
}

/// <summary>NIR's Integrator, type <c>I</c>: dv/dt = R·I; its output is v.</summary>
public sealed record NirIntegratorNode(NirTensor R) : NirNode
{
    public override string Type => "I";
}

/// <summary>NIR's leaky integrator <c>LI</c>: τ·dv/dt = (v_leak − v) + R·I; its output is v.</summary>
public sealed record NirLeakyIntegratorNode(NirTensor Tau, NirTensor R, NirTensor VLeak) : NirNode
{
    public override string Type => "LI";
}

/// <summary>
/// NIR's integrate-and-fire <c>IF</c>: dv/dt = R·I; a spike (z = 1) when v &gt; v_threshold, and then v ← v_reset
/// (NIR 1.0.6 on). <paramref name="VReset"/> is null for a file written before 1.0.6, which had no v_reset and reset
/// by subtracting the threshold.
/// </summary>
public sealed record NirIFNode(NirTensor R, NirTensor VThreshold, NirTensor? VReset) : NirNode
{
    public override string Type => "IF";
}

/// <summary>
/// A NIR primitive this library reads but does not model (LIF, CubaLIF, Conv2d, Threshold, ...): its type and the
/// names of its parameters, so that the mapping refuses it naming the node and the reason.
/// </summary>
public sealed record NirOtherNode(string OtherType, ImmutableArray<string> Parameters) : NirNode
{
    public override string Type => OtherType;
    public bool Equals(NirOtherNode? other) => base.Equals(other) && OtherType == other.OtherType && Parameters.AsSpan().SequenceEqual(other.Parameters.AsSpan());
    public override int GetHashCode() => OtherType.GetHashCode(StringComparison.Ordinal);
}

/// <summary>An edge: the output of <paramref name="Source"/> is an input of <paramref name="Target"/>; a node's inputs are summed.</summary>
public sealed record NirEdge(string Source, string Target);

/// <summary>
/// NIR's <c>NIRGraph</c>: named nodes and the edges between them (a graph may be a node of another graph).
/// Nodes are kept in ordinal name order, the order HDF5 lists a group's links in; the edges in their file order.
/// </summary>
public sealed record NirGraph(ImmutableSortedDictionary<string, NirNode> Nodes, ImmutableArray<NirEdge> Edges) : NirNode
{
    public override string Type => "NIRGraph";

    /// <summary>A graph of <paramref name="nodes"/> (names unique) and <paramref name="edges"/>.</summary>
    public static NirGraph Create(IEnumerable<KeyValuePair<string, NirNode>> nodes, IEnumerable<NirEdge> edges) =>
        new(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, nodes), [.. edges]);

    public bool Equals(NirGraph? other) =>
        base.Equals(other) && Edges.AsSpan().SequenceEqual(other.Edges.AsSpan())
        && Nodes.Count == other.Nodes.Count && Nodes.All(kv => other.Nodes.TryGetValue(kv.Key, out var n) && Equals(kv.Value, n));

    public override int GetHashCode() => HashCode.Combine(Nodes.Count, Edges.Length);
}

/// <summary>A NIR file's contents: the NIR version it names (root dataset <c>version</c>; null when the file has none) and its graph (root group <c>node</c>).</summary>
public sealed record NirDocument(string? Version, NirGraph Graph);
