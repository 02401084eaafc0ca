using System.Collections.Immutable;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>One reason a network or a graph cannot be carried across: what it concerns and why.</summary>
/// <param name="Subject">What the reason is about: "population 'hidden'", "node 'lif1' (LIF)", "connection hidden -> out".</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record NirProblem(string Subject, string Reason)
{
    public override string ToString() => $"{Subject}: {Reason}";
}

/// <summary>The common base of the NIR errors, so that a caller can catch them as one kind of bad input.</summary>
public abstract class NirException : Exception
{
    protected NirException(string message, ImmutableArray<NirProblem> problems, Exception? inner)
        : base(message, inner) => Problems = problems;

    /// <summary>Every problem found (at least one), each naming its node, population or connection.</summary>
    public ImmutableArray<NirProblem> Problems { get; }

    private protected static string Join(string lead, ImmutableArray<NirProblem> problems) =>
        problems.Length == 1 ? $"{lead}: {problems[0]}" : $"{lead}:{string.Concat(problems.Select(p => $"{Environment.NewLine}  {p}"))}";
}

/// <summary>
/// A file is not a readable NIR file: not HDF5, no <c>node</c> group, a node without <c>type</c>, a parameter missing,
/// of the wrong kind or of the wrong shape, an edge naming no node. The message starts with the file and names the
/// node and the field.
/// </summary>
public sealed class NirFormatException : NirException
{
    public NirFormatException(string message, Exception? inner = null) : base(message, [new NirProblem("file", message)], inner) { }
}

/// <summary>A network cannot be written as NIR: every population or connection that NIR's primitives cannot express, with the reason.</summary>
public sealed class NirExportException : NirException
{
    public NirExportException(ImmutableArray<NirProblem> problems)
        : base(Join("cannot export to NIR", problems), problems, null) { }
}

/// <summary>A well-formed NIR graph that HybridSpike cannot run exactly: every node it refuses (an unsupported primitive, a structure it has no counterpart for), with the reason.</summary>
public sealed class NirImportException : NirException
{
    public NirImportException(ImmutableArray<NirProblem> problems, Exception? inner = null)
        : base(Join("cannot import the NIR graph", problems), problems, inner) { }

    public NirImportException(string subject, string reason) : this([new NirProblem(subject, reason)]) { }
}
