using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>What to do with a Sigma-Delta quantized population, which NIR's IF cannot express (docs/nir.md).</summary>
public enum NirSubtractiveReset
{
    /// <summary>Refuse the export, naming the population and the reason (the default).</summary>
    Refuse,
    /// <summary>
    /// Write it as an IF node carrying HybridSpike's metadata (subtractive reset, graded counts, ω, v₀), followed by a
    /// Scale of 1/ω. HybridSpike reads it back exactly; another tool that ignores the metadata runs a plain IF instead.
    /// </summary>
    Extension,
}

/// <summary>How <see cref="NirExport"/> writes a network.</summary>
public sealed record NirExportOptions(NirSubtractiveReset SubtractiveReset)
{
    /// <summary>Refuse what NIR cannot express exactly.</summary>
    public static NirExportOptions Default { get; } = new(NirSubtractiveReset.Refuse);
}

/// <summary>
/// A <see cref="NetworkDescription"/> as a NIR graph (docs/nir.md): the input an <c>Input</c>; a non-spiking linear
/// population a <c>Scale</c> of ones (the node its inputs are summed into); a quantized one, with the opt-in only, an
/// <c>IF</c> with HybridSpike's metadata and a <c>Scale</c> of 1/ω; each connection a <c>Linear</c> (an <c>Affine</c>
/// for the first one into a population with biases), after a <c>Delay</c> of one step when it is one step late; the
/// output population's activity an <c>Output</c>. What NIR cannot express is refused, all of it in one
/// <see cref="NirExportException"/>.
/// </summary>
public static class NirExport
{
    /// <summary>The NIR graph of <paramref name="network"/>.</summary>
    public static NirGraph ToGraph(NetworkDescription network, NirExportOptions options) =>
        ToGraph(network, options, NirMetadata.Empty);

    /// <summary>
    /// The NIR document of <paramref name="artifact"/>: its network's graph, with the artifact's provenance (model kind,
    /// dataset, training config) and <paramref name="digest"/> (may be null) in the graph's HybridSpike metadata.
    /// </summary>
    public static NirDocument ToDocument(ModelArtifact artifact, NirExportOptions options, string? digest)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var extra = new Dictionary<string, NirValue>
        {
            [NirExtension.ModelKind] = new NirTextValue(artifact.Provenance.ModelKind),
            [NirExtension.Dataset] = new NirTextValue(artifact.Provenance.Dataset),
            [NirExtension.ConfigJson] = new NirTextValue(artifact.Provenance.ConfigJson),
        };
        if (digest is not null) extra[NirExtension.ArtifactDigest] = new NirTextValue(digest);
        return new NirDocument(NirFile.WrittenVersion, ToGraph(artifact.Network, options, NirMetadata.Of(extra)));
    }

    /// <summary>Every reason <paramref name="network"/> cannot be written with <paramref name="options"/>; empty when it can.</summary>
    public static ImmutableArray<NirProblem> Problems(NetworkDescription network, NirExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            network.Validate();
        }
        catch (ArgumentException e)
        {
            return [new NirProblem("network", $"invalid: {e.Message}")];
        }
        var problems = ImmutableArray.CreateBuilder<NirProblem>();
        foreach (var p in network.Populations)
        {
            string subject = $"population '{p.Name}'";
            if (p.Name.Length == 0 || p.Name == "." || p.Name.Contains('/'))
                problems.Add(new(subject, "its name cannot be a NIR node name (an HDF5 link name: not empty, not '.', without '/')"));
            if (ActivationRefusal(p.Activation) is { } why) problems.Add(new(subject, why));
            if (NirQuantizers.Refusal(p, options) is { } quantizer) problems.Add(new(subject, quantizer));
        }
        foreach (var c in network.Connections)
        {
            if (c.Weights is not SparseWeights s) continue;
            string subject = $"connection {c.Source} -> {c.Target}";
            if ((long)s.Targets * s.Sources > ArtifactLimits.MaxWeightsPerConnection)
            {
                problems.Add(new(subject, $"NIR's weights are dense: {s.Targets}x{s.Sources} is over the limit of {ArtifactLimits.MaxWeightsPerConnection} values"));
                continue;
            }
            var seen = new Dictionary<long, int>();
            for (int k = 0; k < s.Values.Length; k++)
                if (!seen.TryAdd((long)s.TargetIndex[k] * s.Sources + s.SourceIndex[k], k))
                {
                    problems.Add(new(subject, $"synapses {seen[(long)s.TargetIndex[k] * s.Sources + s.SourceIndex[k]]} and {k} both connect source {s.SourceIndex[k]} to target {s.TargetIndex[k]}; NIR's dense weights hold one value per pair"));
                    break;
                }
        }
        return problems.ToImmutable();
    }

    /// <summary>Why a population of activation <paramref name="f"/> cannot be written (null: it can). Only the identity maps to a NIR node.</summary>
    public static string? ActivationRefusal(Activation f) => f switch
    {
        Activation.Linear => null,
        Activation.Relu => "activation relu has no NIR primitive: NIR has no rectifier (its Threshold is a step, its neurons integrate), so max(0, x) cannot be written",
        _ => $"activation {Activations.Name(f)} has no NIR primitive: NIR's nodes are linear maps, integrators and threshold units, none computes {Activations.Name(f)}(x)",
    };

    private static NirGraph ToGraph(NetworkDescription network, NirExportOptions options, ImmutableSortedDictionary<string, NirValue> extra)
    {
        var problems = Problems(network, options);
        if (!problems.IsEmpty) throw new NirExportException(problems);

        // Populations keep their own names; every other node gets a free name derived from what it stands for.
        var taken = new HashSet<string>(StringComparer.Ordinal) { NetworkDescription.InputName };
        foreach (var p in network.Populations) taken.Add(p.Name);
        string Unique(string name)
        {
            var candidate = name;
            for (int k = 1; !taken.Add(candidate); k++) candidate = $"{name}_{k}";
            return candidate;
        }

        var nodes = new Dictionary<string, NirNode>(StringComparer.Ordinal);
        var edges = new List<NirEdge>();
        var activity = new Dictionary<string, string>(StringComparer.Ordinal) { [NetworkDescription.InputName] = NetworkDescription.InputName };
        nodes[NetworkDescription.InputName] = new NirInputNode([network.Input.Dimensions]);

        foreach (var p in network.Populations)
        {
            var state = new Dictionary<string, NirValue>
            {
                [NirExtension.InitialState] = new NirTextValue(InitialStateName(p.InitialState)),
                [NirExtension.InitialSeed] = new NirUnsignedValue(p.InitialSeed),
            };
            if (NirQuantizers.Of(p) == NirQuantizerKind.None)
            {
                // Scale(1) is the identity: the node a population's inputs are summed into, its output f(x) = x.
                nodes[p.Name] = new NirScaleNode(NirTensor.Filled(p.Size, 1)) { Metadata = Ours(state) };
                activity[p.Name] = p.Name;
                continue;
            }
            double omega = p.Omega!.Value;
            state[NirExtension.Extension] = new NirTextValue(NirExtension.SubtractiveResetValue);
            state[NirExtension.Reset] = new NirTextValue("subtractive");
            state[NirExtension.Counts] = new NirTextValue("graded");
            state[NirExtension.Omega] = new NirFloatsValue(new NirTensor([], [omega]));
            state[NirExtension.VInitial] = new NirFloatsValue(NirTensor.Vector(p.InitialStates()));
            state[NirExtension.Note] = new NirTextValue(
                "HybridSpike Sigma-Delta quantizer, not a plain IF: each step v <- v + r*I; n = floor(v) (any integer, negative included); v <- v - n; " +
                $"the output is the count n, and the next node scales it by 1/omega. v starts at v_initial. A tool that ignores this metadata runs NIR's IF " +
                "(one spike when v > v_threshold, then v <- v_reset), which gives other spikes. See HybridSpike's docs/nir.md.");
            // r = ω: the IF integrates ω·x per step; threshold 1 and reset 0 are the nearest plain IF, for tools that ignore the metadata.
            nodes[p.Name] = new NirIFNode(NirTensor.Filled(p.Size, omega), NirTensor.Filled(p.Size, 1), NirTensor.Filled(p.Size, 0)) { Metadata = Ours(state) };
            var rate = Unique($"{p.Name}.activity");
            nodes[rate] = new NirScaleNode(NirTensor.Filled(p.Size, 1 / omega))
            {
                Metadata = Ours(new() { [NirExtension.Role] = new NirTextValue(NirExtension.ActivityRole) }),
            };
            edges.Add(new NirEdge(p.Name, rate));
            activity[p.Name] = rate;
        }

        var biased = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < network.Connections.Length; i++)
        {
            var c = network.Connections[i];
            var target = network.Population(c.Target);
            var source = activity[c.Source];
            if (c.Delay == Network.Delay.OneStep)
            {
                var delay = Unique($"{c.Source}->{c.Target}.delay");
                nodes[delay] = new NirDelayNode(NirTensor.Filled(c.Weights.Sources, 1));
                edges.Add(new NirEdge(source, delay));
                source = delay;
            }
            var name = Unique($"{c.Source}->{c.Target}");
            var weight = Dense(c.Weights);
            var metadata = c.Weights is SparseWeights s
                ? Ours(new()
                {
                    [NirExtension.SparseTarget] = new NirIntegersValue([s.Values.Length], [.. s.TargetIndex.Select(x => (long)x)]),
                    [NirExtension.SparseSource] = new NirIntegersValue([s.Values.Length], [.. s.SourceIndex.Select(x => (long)x)]),
                })
                : NirMetadata.Empty;
            // The bias rides on the first connection into its population: NIR's Affine adds it once per step.
            bool carriesBias = !target.Bias.IsDefaultOrEmpty && biased.Add(target.Name);
            nodes[name] = carriesBias
                ? new NirAffineNode(weight, NirTensor.Vector(target.Bias.AsSpan())) { Metadata = metadata }
                : new NirLinearNode(weight) { Metadata = metadata };
            edges.Add(new NirEdge(source, name));
            edges.Add(new NirEdge(name, target.Name));
        }
        foreach (var p in network.Populations)
        {
            if (p.Bias.IsDefaultOrEmpty || biased.Contains(p.Name)) continue;
            // A population with biases and no inputs: an Affine of zero weights from the input carries them.
            var name = Unique($"{p.Name}.bias");
            nodes[name] = new NirAffineNode(NirTensor.Matrix(p.Size, network.Input.Dimensions, new double[p.Size * network.Input.Dimensions]), NirTensor.Vector(p.Bias.AsSpan()))
            {
                Metadata = Ours(new() { [NirExtension.Role] = new NirTextValue(NirExtension.BiasRole) }),
            };
            edges.Add(new NirEdge(NetworkDescription.InputName, name));
            edges.Add(new NirEdge(name, p.Name));
        }

        var outputPopulation = network.Population(network.Output.Population);
        var output = Unique("output");
        nodes[output] = new NirOutputNode([outputPopulation.Size]);
        edges.Add(new NirEdge(activity[outputPopulation.Name], output));

        var graphMetadata = new Dictionary<string, NirValue>(extra)
        {
            [NirExtension.Format] = new NirTextValue(NirExtension.FormatValue),
            [NirExtension.FormatVersion] = NirIntegersValue.Scalar(NirExtension.FormatVersionValue),
            [NirExtension.ToolVersion] = new NirTextValue(Provenance.CurrentToolVersion),
            [NirExtension.TimeStep] = new NirFloatsValue(new NirTensor([], [1.0])),
            [NirExtension.Populations] = new NirTextsValue([.. network.Populations.Select(p => p.Name)]),
            [NirExtension.InputDescription] = new NirTextValue(network.Input.Description),
        };
        if (network.Input.Sequence is { } seq)
        {
            graphMetadata[NirExtension.SequenceDataset] = new NirTextValue(seq.Dataset);
            graphMetadata[NirExtension.SequenceSplitSeed] = new NirUnsignedValue(seq.SplitSeed);
            if (seq.PermutationSeed is { } perm) graphMetadata[NirExtension.SequencePermutationSeed] = new NirUnsignedValue(perm);
        }
        return NirGraph.Create(nodes, edges) with { Metadata = Ours(graphMetadata) };
    }

    internal static string InitialStateName(InitialStateMode mode) => mode switch
    {
        InitialStateMode.Uniform => "uniform",
        InitialStateMode.Zeros => "zeros",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    private static ImmutableSortedDictionary<string, NirValue> Ours(Dictionary<string, NirValue> entries) =>
        NirMetadata.Of([new(NirExtension.Group, new NirGroupValue(NirMetadata.Of(entries)))]);

    /// <summary>The weights as NIR's dense [target, source] matrix.</summary>
    private static NirTensor Dense(Weights weights)
    {
        switch (weights)
        {
            case DenseWeights d:
                return NirTensor.Matrix(d.Targets, d.Sources, d.Matrix.Values.Span);
            case SparseWeights s:
                var values = new double[(long)s.Targets * s.Sources];
                for (int k = 0; k < s.Values.Length; k++) values[(long)s.TargetIndex[k] * s.Sources + s.SourceIndex[k]] = s.Values[k];
                return NirTensor.Matrix(s.Targets, s.Sources, values);
            default:
                throw new ArgumentException($"weights of type {weights.GetType().Name} cannot be written");
        }
    }
}
