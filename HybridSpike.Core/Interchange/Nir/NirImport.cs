using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>How <see cref="NirImport"/> reads a graph's continuous-time parameters as steps.</summary>
/// <param name="TimeStep">
/// The step, in the graph's time unit (dt): a Delay of dt is one step late, an Integrator adds dt·R·I per step, a leaky
/// integrator moves dt/τ of the way (forward Euler). 1 reads the graph in steps, as HybridSpike writes it.
/// </param>
public sealed record NirImportOptions(double TimeStep)
{
    /// <summary>dt = 1: the graph's time unit is one step.</summary>
    public static NirImportOptions Default { get; } = new(1.0);
}

/// <summary>
/// A NIR graph as a <see cref="NetworkDescription"/> (docs/nir.md), in the discrete-time reading of
/// <see cref="NirImportOptions"/>: Scale, Integrator (I), leaky integrator (LI) and HybridSpike's IF become
/// populations; Affine and Linear connections (a weight node whose output is not summed into a population becomes a
/// linear population of its own); a Delay of one step a one-step connection. Every primitive with no exact counterpart
/// (LIF, CubaLIF, Threshold, convolutions, an IF without HybridSpike's metadata, ...) is refused by name, all of them in
/// one <see cref="NirImportException"/>.
/// </summary>
public static class NirImport
{
    /// <summary>The network <paramref name="graph"/> describes; refusals throw <see cref="NirImportException"/>.</summary>
    public static NetworkDescription ToNetwork(NirGraph graph, NirImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.TimeStep > 0 && double.IsFinite(options.TimeStep)))
            throw new ArgumentException($"time step {options.TimeStep} must be positive and finite", nameof(options));
        return new Importer(graph, options.TimeStep).Run();
    }

    /// <summary>
    /// The artifact of <paramref name="document"/>'s graph. Its provenance says where it came from: the model kind,
    /// dataset and config a HybridSpike export stored (else "nir", the input's dataset or "unknown", "{}"), and in its
    /// notes the file <paramref name="source"/>, its <paramref name="sha256"/> and the NIR version.
    /// </summary>
    public static ModelArtifact ToArtifact(NirDocument document, string source, string sha256, NirImportOptions options, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(document);
        var network = ToNetwork(document.Graph, options);
        // Only a file whose conventions are HybridSpike's own says what the model was.
        var ours = Ours(document.Graph) is { } m && m.GetValueOrDefault(NirExtension.Format) is NirTextValue { Value: NirExtension.FormatValue } ? m : null;
        string? Meta(string key) => ours?.GetValueOrDefault(key) is NirTextValue t ? t.Value : null;
        var digest = Meta(NirExtension.ArtifactDigest);
        var writer = Meta(NirExtension.ToolVersion);
        var notes = $"imported from NIR file '{source}' (sha256 {sha256}, NIR version {document.Version ?? "not stated"}, read with dt = {options.TimeStep})"
            + (writer is not null ? $"; written by HybridSpike {writer}" : "; not written by HybridSpike")
            + (digest is not null ? $" from the artifact of digest {digest}" : "");
        var provenance = new Provenance(
            Meta(NirExtension.ModelKind) ?? "nir",
            Meta(NirExtension.ConfigJson) ?? "{}",
            Meta(NirExtension.Dataset) ?? network.Input.Sequence?.Dataset ?? "unknown",
            ImmutableDictionary<string, ulong>.Empty,
            0,
            Provenance.UtcTimestamp(created),
            Provenance.CurrentToolVersion,
            notes);
        try
        {
            return ModelArtifact.Create(network, provenance);
        }
        catch (ArgumentException e)
        {
            throw new NirImportException("network", $"the imported network is not a valid artifact: {e.Message}");
        }
    }

    /// <summary>Why HybridSpike does not import a primitive of type <paramref name="type"/>; null for the types it maps.</summary>
    public static string? PrimitiveRefusal(string type) => type switch
    {
        "LIF" => "a leaky integrate-and-fire neuron (one spike when v > v_threshold, then v <- v_reset): HybridSpike's only spiking unit is the Sigma-Delta quantizer, with graded counts and a subtractive reset, so no population computes it",
        "CubaLIF" => "a current-based leaky integrate-and-fire neuron (binary spikes, reset to v_reset): HybridSpike's only spiking unit is the Sigma-Delta quantizer, so no population computes it",
        "CubaLI" => "a current-based leaky integrator (a synaptic and a membrane state in one node) is not mapped; written as two LI nodes it would be",
        "Conv1d" or "Conv2d" => "a convolution: HybridSpike's connections are matrices over flat vectors and this importer unrolls no convolutions (write it as an Affine)",
        "Flatten" => "a reshape of multi-dimensional data: HybridSpike's populations are flat vectors and this importer maps no other shapes",
        "SumPool2d" or "AvgPool2d" => "pooling over 2-D maps: HybridSpike's populations are flat vectors and this importer maps no pooling (write it as an Affine)",
        "Threshold" => "a Heaviside step (1 when the input exceeds the threshold): HybridSpike has no step activation",
        "NIRGraph" => "a nested graph: this importer reads one flat graph (inline the subgraph's nodes)",
        "IF" => "an IF without HybridSpike's subtractive-reset metadata. NIR's IF emits one spike when v > v_threshold and then resets to v_reset " +
                "(before NIR 1.0.6: subtracts the threshold); HybridSpike's quantizer emits graded counts n = floor(v) and keeps the remainder, " +
                "so no population computes an IF exactly (docs/nir.md; NIR issues #137, #138)",
        _ => null,
    };

    private static ImmutableSortedDictionary<string, NirValue>? Ours(NirNode node) =>
        node.Metadata.GetValueOrDefault(NirExtension.Group) is NirGroupValue g ? g.Entries : null;

    private static bool IsExtensionIF(NirNode node) =>
        node is NirIFNode && Ours(node)?.GetValueOrDefault(NirExtension.Extension) is NirTextValue { Value: NirExtension.SubtractiveResetValue };

    private enum Role { Input, Output, Weight, Delay, Scale, Integrator, Leaky, Quantizer, Activity }

    private sealed record Source(string Name, Network.Delay Delay, int Size);

    private sealed record RawConnection(string Source, string Target, Weights Weights, Network.Delay Delay);

    /// <summary>What a quantizer node's metadata says.</summary>
    private sealed record QuantizerSpec(double Omega, InitialStateMode Mode, ulong Seed);

    private sealed class Importer(NirGraph graph, double dt)
    {
        private readonly List<NirProblem> _problems = [];
        private readonly Dictionary<string, Role> _roles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _in = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<int>> _out = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _quantizerOfActivity = new(StringComparer.Ordinal);
        private readonly Dictionary<string, QuantizerSpec> _quantizers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _implicit = new(StringComparer.Ordinal);
        private readonly List<RawConnection> _connections = [];
        private readonly Dictionary<string, double[]> _bias = new(StringComparer.Ordinal);
        private string _inputName = "";
        private int _inputSize;

        private static string Subject(string name, NirNode node) => $"node '{name}' ({node.Type})";
        private string Subject(string name) => Subject(name, graph.Nodes[name]);
        private void Problem(string name, string reason) => _problems.Add(new NirProblem(Subject(name), reason));

        private void ThrowIfProblems()
        {
            if (_problems.Count > 0) throw new NirImportException([.. _problems]);
        }

        public NetworkDescription Run()
        {
            Classify();
            ThrowIfProblems();
            for (int i = 0; i < graph.Edges.Length; i++)
            {
                _out[graph.Edges[i].Source].Add(i);
                _in[graph.Edges[i].Target].Add(i);
            }
            Ends();
            PairQuantizers();
            ThrowIfProblems();
            foreach (var (name, role) in _roles)
                if (role == Role.Weight && _out[name].Any(e => !IsPopulationNode(graph.Edges[e].Target))) _implicit.Add(name);
            if (PopulationNames().Contains(NetworkDescription.InputName))
                Problem(NetworkDescription.InputName, $"HybridSpike reserves the name '{NetworkDescription.InputName}' for the network input; rename the node");
            ThrowIfProblems();
            Connect();
            ThrowIfProblems();
            var output = OutputPopulation();
            ThrowIfProblems();
            var populations = Populations();
            ThrowIfProblems();
            var order = Order(populations);
            ThrowIfProblems();
            return Build(order, populations, output);
        }

        /// <summary>Each node's role; every primitive without an exact counterpart is a problem, by name.</summary>
        private void Classify()
        {
            foreach (var (name, node) in graph.Nodes)
            {
                _in[name] = [];
                _out[name] = [];
                Role? role = node switch
                {
                    NirInputNode => Role.Input,
                    NirOutputNode => Role.Output,
                    NirAffineNode or NirLinearNode => Role.Weight,
                    NirDelayNode => Role.Delay,
                    NirScaleNode => Role.Scale,
                    NirIntegratorNode => Role.Integrator,
                    NirLeakyIntegratorNode => Role.Leaky,
                    NirIFNode when IsExtensionIF(node) => Role.Quantizer,
                    _ => null,
                };
                if (role is { } r) _roles[name] = r;
                else _problems.Add(new NirProblem(Subject(name, node), PrimitiveRefusal(node.Type) ?? $"type {node.Type} is not mapped"));
                if (role == Role.Quantizer && Quantizer(name, (NirIFNode)node) is { } spec) _quantizers[name] = spec;
            }
        }

        /// <summary>HybridSpike's own IF: every field its metadata must have, and the plain IF parameters that must agree with them.</summary>
        private QuantizerSpec? Quantizer(string name, NirIFNode node)
        {
            var m = Ours(node)!;
            int before = _problems.Count;
            void Need(string key, string value)
            {
                if (m.GetValueOrDefault(key) is not NirTextValue t || t.Value != value)
                    Problem(name, $"metadata {NirExtension.Group}/{key} must be '{value}' (found {Describe(m.GetValueOrDefault(key))})");
            }
            Need(NirExtension.Reset, "subtractive");
            Need(NirExtension.Counts, "graded");
            double omega = m.GetValueOrDefault(NirExtension.Omega) is NirFloatsValue { Tensor: { Rank: 0 } w } ? w.Values[0] : double.NaN;
            if (!(omega > 0 && double.IsFinite(omega) && omega <= NetworkDescription.MaxOmega))
                Problem(name, $"metadata {NirExtension.Group}/{NirExtension.Omega} must be one positive finite number up to {NetworkDescription.MaxOmega} (found {Describe(m.GetValueOrDefault(NirExtension.Omega))})");
            var (mode, seed) = InitialState(name, m, required: true);
            if (_problems.Count > before) return null;
            int size = node.R.Values.Length;
            if (node.R.Values.Any(r => r != omega)) Problem(name, $"r must be ω = {omega} for every unit: the IF integrates ω·x per step");
            if (node.VThreshold.Values.Any(v => v != 1)) Problem(name, "v_threshold must be 1 for every unit (HybridSpike's extension writes the nearest plain IF)");
            if (node.VReset is { } reset && reset.Values.Any(v => v != 0)) Problem(name, "v_reset must be 0 for every unit (HybridSpike's extension writes the nearest plain IF)");
            if (m.GetValueOrDefault(NirExtension.VInitial) is { } v0)
            {
                var expected = SigmaDelta.InitialState(size, mode, seed);
                if (v0 is not NirFloatsValue { Tensor: { Rank: 1 } t } || !t.Values.AsSpan().SequenceEqual(expected))
                    Problem(name, $"metadata {NirExtension.Group}/{NirExtension.VInitial} is not the v₀ that {NirExport.InitialStateName(mode)} with seed {seed} gives");
            }
            return _problems.Count > before ? null : new QuantizerSpec(omega, mode, seed);
        }

        private (InitialStateMode Mode, ulong Seed) InitialState(string name, ImmutableSortedDictionary<string, NirValue>? m, bool required)
        {
            if (m is null || (!required && !m.ContainsKey(NirExtension.InitialState))) return (InitialStateMode.Zeros, 0);
            InitialStateMode mode = InitialStateMode.Zeros;
            switch (m.GetValueOrDefault(NirExtension.InitialState))
            {
                case NirTextValue { Value: "uniform" }: mode = InitialStateMode.Uniform; break;
                case NirTextValue { Value: "zeros" }: mode = InitialStateMode.Zeros; break;
                case var other: Problem(name, $"metadata {NirExtension.Group}/{NirExtension.InitialState} must be 'uniform' or 'zeros' (found {Describe(other)})"); break;
            }
            ulong seed = 0;
            switch (m.GetValueOrDefault(NirExtension.InitialSeed))
            {
                case NirUnsignedValue u: seed = u.Value; break;
                case NirIntegersValue { Shape.IsEmpty: true } i when i.Values[0] >= 0: seed = (ulong)i.Values[0]; break;
                case var other: Problem(name, $"metadata {NirExtension.Group}/{NirExtension.InitialSeed} must be an unsigned integer (found {Describe(other)})"); break;
            }
            return (mode, seed);
        }

        private static string Describe(NirValue? v) => v switch
        {
            null => "nothing",
            NirTextValue t => $"'{t.Value}'",
            NirFloatsValue f => f.Tensor.Rank == 0 ? $"{f.Tensor.Values[0]}" : $"numbers of shape {f.Tensor.ShapeText}",
            NirIntegersValue i => i.Shape.IsEmpty ? $"{i.Values[0]}" : "integers",
            NirUnsignedValue u => $"{u.Value}",
            _ => v.GetType().Name.Replace("Nir", "").Replace("Value", "").ToLowerInvariant(),
        };

        /// <summary>One Input (a vector, nothing into it) and one Output (one edge into it, nothing out).</summary>
        private void Ends()
        {
            var inputs = _roles.Where(kv => kv.Value == Role.Input).Select(kv => kv.Key).ToList();
            var outputs = _roles.Where(kv => kv.Value == Role.Output).Select(kv => kv.Key).ToList();
            if (inputs.Count != 1)
                _problems.Add(new("graph", $"{inputs.Count} Input nodes ({string.Join(", ", inputs.Select(n => $"'{n}'"))}); a HybridSpike network has one input vector"));
            if (outputs.Count != 1)
                _problems.Add(new("graph", $"{outputs.Count} Output nodes ({string.Join(", ", outputs.Select(n => $"'{n}'"))}); a HybridSpike network has one output population"));
            foreach (var name in inputs)
            {
                var shape = ((NirInputNode)graph.Nodes[name]).Shape;
                if (shape.Length != 1) Problem(name, $"shape [{string.Join(", ", shape)}]: HybridSpike's input is a vector (one dimension)");
                else if (shape[0] > ArtifactLimits.MaxInputDimensions) Problem(name, $"{shape[0]} input dimensions, over the limit of {ArtifactLimits.MaxInputDimensions}");
                else { _inputName = name; _inputSize = (int)shape[0]; }
                if (_in[name].Count > 0) Problem(name, $"an Input has no inputs, but an edge comes from '{graph.Edges[_in[name][0]].Source}'");
            }
            foreach (var name in outputs)
            {
                if (_out[name].Count > 0) Problem(name, $"an Output feeds nothing, but an edge goes to '{graph.Edges[_out[name][0]].Target}'");
                if (_in[name].Count != 1) Problem(name, $"{_in[name].Count} edges come into the Output; HybridSpike reads one population");
                var shape = ((NirOutputNode)graph.Nodes[name]).Shape;
                if (shape.Length != 1) Problem(name, $"shape [{string.Join(", ", shape)}]: HybridSpike's output is a vector (one dimension)");
            }
        }

        /// <summary>HybridSpike's IF sends its counts to exactly one Scale of 1/ω, which turns them into activity; the two are one population.</summary>
        private void PairQuantizers()
        {
            foreach (var (name, spec) in _quantizers)
            {
                var outs = _out[name];
                string? scale = outs.Count == 1 ? graph.Edges[outs[0]].Target : null;
                if (scale is null || graph.Nodes[scale] is not NirScaleNode s || _in[scale].Count != 1)
                {
                    Problem(name, $"HybridSpike's IF sends its counts through exactly one edge, to a Scale of 1/ω that has no other input (found {outs.Count} edges{(scale is null ? "" : $", to '{scale}' ({graph.Nodes[scale].Type})")})");
                    continue;
                }
                var size = ((NirIFNode)graph.Nodes[name]).R.Values.Length;
                if (s.Scale.Values.Length != size || s.Scale.Values.Any(v => v != 1 / spec.Omega))
                {
                    Problem(scale, $"after HybridSpike's IF '{name}' the Scale must be 1/ω = {1 / spec.Omega} for each of its {size} units");
                    continue;
                }
                _roles[scale] = Role.Activity;
                _quantizerOfActivity[scale] = name;
            }
        }

        private bool IsPopulationNode(string name) => _roles[name] is Role.Scale or Role.Integrator or Role.Leaky or Role.Quantizer;

        private IEnumerable<string> PopulationNames() =>
            _roles.Where(kv => kv.Value is Role.Scale or Role.Integrator or Role.Leaky or Role.Quantizer).Select(kv => kv.Key).Concat(_implicit);

        private int SizeOf(string population) => graph.Nodes[population] switch
        {
            NirScaleNode s => s.Scale.Values.Length,
            NirIntegratorNode i => i.R.Values.Length,
            NirLeakyIntegratorNode l => l.R.Values.Length,
            NirIFNode f => f.R.Values.Length,
            NirAffineNode a => (int)a.Weight.Shape[0],
            NirLinearNode l => (int)l.Weight.Shape[0],
            var n => throw new InvalidOperationException($"{n.Type} is no population"),
        };

        /// <summary>Where a signal arriving from <paramref name="name"/> comes from: the input or a population, now or one step late.</summary>
        private Source? Resolve(string name, string consumer)
        {
            switch (_roles[name])
            {
                case Role.Input: return new Source(NetworkDescription.InputName, Network.Delay.SameStep, _inputSize);
                case Role.Scale or Role.Integrator or Role.Leaky: return new Source(name, Network.Delay.SameStep, SizeOf(name));
                case Role.Activity: return new Source(_quantizerOfActivity[name], Network.Delay.SameStep, SizeOf(_quantizerOfActivity[name]));
                case Role.Weight when _implicit.Contains(name): return new Source(name, Network.Delay.SameStep, SizeOf(name));
                case Role.Delay:
                {
                    var d = (NirDelayNode)graph.Nodes[name];
                    if (_in[name].Count != 1) { Problem(name, $"{_in[name].Count} edges come into the Delay; HybridSpike delays one source's activity"); return null; }
                    var inner = Resolve(graph.Edges[_in[name][0]].Source, name);
                    if (inner is null) return null;
                    if (inner.Delay == Network.Delay.OneStep) { Problem(name, "a Delay after a one-step Delay: HybridSpike's connections are at most one step late"); return null; }
                    if (d.Delay.Values.Length != inner.Size) { Problem(name, $"delay has {d.Delay.Values.Length} elements, its input '{inner.Name}' {inner.Size}"); return null; }
                    var distinct = d.Delay.Values.Distinct().ToArray();
                    if (distinct.Length == 1 && distinct[0] == 0) return inner;
                    if (distinct.Length == 1 && distinct[0] / dt == 1) return inner with { Delay = Network.Delay.OneStep };
                    Problem(name, $"delays {string.Join(", ", distinct.Take(3))}{(distinct.Length > 3 ? ", ..." : "")} are not 0 or one step (dt = {dt}): HybridSpike's connections are 0 or 1 step late");
                    return null;
                }
                case Role.Quantizer: Problem(name, $"HybridSpike's IF feeds only its Scale, but '{consumer}' reads it"); return null;
                case Role.Output: Problem(name, $"an Output feeds nothing, but '{consumer}' reads it"); return null;
                default: Problem(name, $"cannot be read by '{consumer}'"); return null;
            }
        }

        /// <summary>The connections, in the order of the edges that end them; the biases, per population.</summary>
        private void Connect()
        {
            foreach (var edge in graph.Edges)
            {
                var (u, v) = (edge.Source, edge.Target);
                switch (_roles[v])
                {
                    case Role.Scale or Role.Integrator or Role.Leaky or Role.Quantizer:
                        if (_roles[u] == Role.Weight && !_implicit.Contains(u)) Weigh(u, v);
                        else if (Resolve(u, v) is { } s) Identity(s, v);
                        break;
                    case Role.Weight when _implicit.Contains(v):
                        if (Resolve(u, v) is { } source) Add(v, source, v);
                        break;
                    case Role.Input:
                        break;   // reported by Ends
                    default:
                        break;   // Delay, Output, an activity Scale or a weight node: read from their consumer's side
                }
            }
            foreach (var w in _implicit)
                if (graph.Nodes[w] is NirAffineNode a) AddBias(w, w, a.Bias);
        }

        /// <summary>A weight node summed into population <paramref name="target"/>: one connection per source it reads, and its bias.</summary>
        private void Weigh(string weight, string target)
        {
            var node = graph.Nodes[weight];
            bool biasOnly = Ours(node)?.GetValueOrDefault(NirExtension.Role) is NirTextValue { Value: NirExtension.BiasRole };
            if (biasOnly)
            {
                if (((NirAffineNode)node).Weight.Values.Any(x => x != 0)) { Problem(weight, "marked as a bias carrier, but its weights are not all zero"); return; }
            }
            else
            {
                foreach (var e in _in[weight])
                    if (Resolve(graph.Edges[e].Source, weight) is { } source) Add(weight, source, target);
            }
            if (node is NirAffineNode a) AddBias(weight, target, a.Bias);
        }

        private void Add(string weight, Source source, string target)
        {
            var w = ((NirNode)graph.Nodes[weight]) switch { NirAffineNode a => a.Weight, NirLinearNode l => l.Weight, _ => throw new InvalidOperationException() };
            if (w.Rank != 2) { Problem(weight, $"weight of shape {w.ShapeText}: HybridSpike connects vectors (a weight is [out, in])"); return; }
            int rows = (int)w.Shape[0], cols = (int)w.Shape[1];
            if (cols != source.Size) { Problem(weight, $"weight is {rows}x{cols}, but its input '{Display(source.Name)}' has {source.Size} values"); return; }
            if (rows != SizeOf(target)) { Problem(weight, $"weight is {rows}x{cols}, but '{target}' has {SizeOf(target)} units"); return; }
            _connections.Add(new RawConnection(source.Name, target, Weights(weight, w, rows, cols), source.Delay));
        }

        private string Display(string source) => source == NetworkDescription.InputName ? _inputName : source;

        /// <summary>The dense matrix, or the sparse synapses HybridSpike's metadata lists (which must cover every nonzero weight).</summary>
        private Weights Weights(string weight, NirTensor w, int rows, int cols)
        {
            var dense = Numerics.Matrix.Create(rows, cols, w.Values.AsSpan());
            var m = Ours(graph.Nodes[weight]);
            if (m?.GetValueOrDefault(NirExtension.SparseTarget) is not NirIntegersValue t || m.GetValueOrDefault(NirExtension.SparseSource) is not NirIntegersValue s)
                return new DenseWeights(dense);
            if (t.Values.Length != s.Values.Length) { Problem(weight, "sparse_target and sparse_source differ in length"); return new DenseWeights(dense); }
            var seen = new HashSet<long>();
            var values = new double[t.Values.Length];
            for (int k = 0; k < values.Length; k++)
            {
                long i = t.Values[k], j = s.Values[k];
                if ((ulong)i >= (ulong)rows || (ulong)j >= (ulong)cols || !seen.Add(i * cols + j))
                {
                    Problem(weight, $"sparse synapse {k} ({j} -> {i}) is out of range or listed twice");
                    return new DenseWeights(dense);
                }
                values[k] = dense[(int)i, (int)j];
            }
            int nonzero = w.Values.Count(x => x != 0), covered = values.Count(x => x != 0);
            if (covered != nonzero) { Problem(weight, $"the sparse synapses cover {covered} of the weight's {nonzero} nonzero values"); return new DenseWeights(dense); }
            return new SparseWeights(rows, cols, [.. t.Values.Select(x => (int)x)], [.. s.Values.Select(x => (int)x)], [.. values]);
        }

        /// <summary>An edge straight from a source into a population: the identity.</summary>
        private void Identity(Source source, string target)
        {
            int n = SizeOf(target);
            if (source.Size != n) { Problem(target, $"'{Display(source.Name)}' sends {source.Size} values straight into its {n} units"); return; }
            var index = Enumerable.Range(0, n).ToImmutableArray();
            _connections.Add(new RawConnection(source.Name, target, new SparseWeights(n, n, index, index, [.. Enumerable.Repeat(1.0, n)]), source.Delay));
        }

        private void AddBias(string weight, string target, NirTensor bias)
        {
            if (bias.Rank != 1 || bias.Values.Length != SizeOf(target)) { Problem(weight, $"bias of shape {bias.ShapeText} for '{target}' of {SizeOf(target)} units"); return; }
            if (!_bias.TryGetValue(target, out var b)) _bias[target] = b = new double[bias.Values.Length];
            for (int i = 0; i < b.Length; i++) b[i] += bias.Values[i];
        }

        private string OutputPopulation()
        {
            var output = _roles.First(kv => kv.Value == Role.Output).Key;
            var edge = graph.Edges[_in[output][0]];
            var source = Resolve(edge.Source, output);
            if (source is null) return "";
            if (source.Name == NetworkDescription.InputName) { Problem(output, "the Output reads the Input directly: there is no population to read"); return ""; }
            if (source.Delay == Network.Delay.OneStep) { Problem(output, "a Delay before the Output: HybridSpike reads the output population at the last step, undelayed"); return ""; }
            var shape = ((NirOutputNode)graph.Nodes[output]).Shape;
            if (shape[0] != source.Size) Problem(output, $"shape [{shape[0]}], but '{source.Name}' has {source.Size} units");
            return source.Name;
        }

        /// <summary>
        /// The populations, the node's dynamics folded into its connections: a Scale s multiplies its inputs by s, an
        /// Integrator adds dt·R·I to its own last value (a one-step self-connection of 1), a leaky integrator moves dt/τ
        /// towards v_leak + R·I (self-connection 1 − dt/τ). A factor of exactly 1 is not applied, so a graph HybridSpike
        /// wrote comes back bit for bit.
        /// </summary>
        private Dictionary<string, (Population Population, double[]? Factor, double[]? Self)> Populations()
        {
            var result = new Dictionary<string, (Population, double[]?, double[]?)>(StringComparer.Ordinal);
            foreach (var name in PopulationNames())
            {
                var node = graph.Nodes[name];
                int size = SizeOf(name);
                if (size > ArtifactLimits.MaxUnits) { Problem(name, $"{size} units, over the limit of {ArtifactLimits.MaxUnits}"); continue; }
                double[]? factor = null, self = null, extra = null;
                double? omega = null;
                var (mode, seed) = (InitialStateMode.Zeros, 0UL);
                switch (node)
                {
                    case NirScaleNode s:
                        factor = [.. s.Scale.Values];
                        (mode, seed) = InitialState(name, Ours(node), required: false);
                        break;
                    case NirIntegratorNode i:
                        factor = [.. i.R.Values.Select(r => dt * r)];
                        self = [.. Enumerable.Repeat(1.0, size)];
                        break;
                    case NirLeakyIntegratorNode l:
                        if (l.Tau.Values.Any(t => !(t > 0 && double.IsFinite(t)))) { Problem(name, "tau must be positive and finite for every unit"); continue; }
                        factor = [.. l.Tau.Values.Select((t, k) => dt * l.R.Values[k] / t)];
                        self = [.. l.Tau.Values.Select(t => 1 - dt / t)];
                        extra = [.. l.Tau.Values.Select((t, k) => dt * l.VLeak.Values[k] / t)];
                        break;
                    case NirIFNode:
                        var q = _quantizers[name];
                        (omega, mode, seed) = (q.Omega, q.Mode, q.Seed);
                        break;
                }
                if (factor is not null && factor.All(f => f == 1)) factor = null;
                var bias = _bias.GetValueOrDefault(name);
                if (bias is not null && factor is not null) bias = [.. bias.Select((b, k) => b * factor[k])];
                if (extra is not null && extra.Any(e => e != 0))
                {
                    bias ??= new double[size];
                    for (int k = 0; k < size; k++) bias[k] += extra[k];
                }
                result[name] = (new Population(name, size, Activation.Linear, omega, bias is null ? [] : [.. bias], mode, seed), factor, self);
            }
            return result;
        }

        /// <summary>
        /// Evaluation order: the order a HybridSpike export lists; else sources before the populations they feed in the
        /// same step, ties in the order the populations first appear in the edges. A loop without a Delay is refused.
        /// </summary>
        private List<string> Order(Dictionary<string, (Population Population, double[]? Factor, double[]? Self)> populations)
        {
            var listed = Ours(graph)?.GetValueOrDefault(NirExtension.Populations) as NirTextsValue;
            if (listed is not null && Ours(graph)?.GetValueOrDefault(NirExtension.Format) is NirTextValue { Value: NirExtension.FormatValue })
            {
                var names = listed.Values.ToList();
                if (names.Count == populations.Count && names.ToHashSet(StringComparer.Ordinal).SetEquals(populations.Keys)) return names;
                _problems.Add(new("graph", $"metadata {NirExtension.Group}/{NirExtension.Populations} lists {string.Join(", ", names)}, but the graph's populations are {string.Join(", ", populations.Keys.Order(StringComparer.Ordinal))}"));
                return [];
            }
            var first = new Dictionary<string, int>(StringComparer.Ordinal);
            string Owner(string node) => _quantizerOfActivity.GetValueOrDefault(node) ?? node;
            for (int i = 0; i < graph.Edges.Length; i++)
                foreach (var end in new[] { graph.Edges[i].Source, graph.Edges[i].Target })
                    if (populations.ContainsKey(Owner(end))) first.TryAdd(Owner(end), i);
            int Priority(string p) => first.GetValueOrDefault(p, int.MaxValue);
            var after = populations.Keys.ToDictionary(p => p, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
            var waiting = populations.Keys.ToDictionary(p => p, _ => 0, StringComparer.Ordinal);
            foreach (var c in _connections)
                if (c.Delay == Network.Delay.SameStep && c.Source != NetworkDescription.InputName && after[c.Source].Add(c.Target)) waiting[c.Target]++;
            var ready = new PriorityQueue<string, (int, string)>();
            foreach (var p in populations.Keys) if (waiting[p] == 0) ready.Enqueue(p, (Priority(p), p));
            var order = new List<string>();
            while (ready.TryDequeue(out var p, out _))
            {
                order.Add(p);
                foreach (var t in after[p])
                    if (--waiting[t] == 0) ready.Enqueue(t, (Priority(t), t));
            }
            if (order.Count < populations.Count)
            {
                var loop = populations.Keys.Where(p => waiting[p] > 0).Order(StringComparer.Ordinal);
                _problems.Add(new("graph", $"{string.Join(", ", loop.Select(n => $"'{n}'"))} feed each other within one step (a loop without a Delay): HybridSpike's discrete-time reading needs a Delay on every loop"));
            }
            return order;
        }

        private NetworkDescription Build(List<string> order, Dictionary<string, (Population Population, double[]? Factor, double[]? Self)> populations, string output)
        {
            var connections = new List<Connection>();
            foreach (var c in _connections)
            {
                var factor = populations[c.Target].Factor;
                connections.Add(new Connection(c.Source, c.Target, factor is null ? c.Weights : Scaled(c.Weights, factor), c.Delay));
            }
            foreach (var name in order)
                if (populations[name].Self is { } self)
                {
                    var index = Enumerable.Range(0, self.Length).ToImmutableArray();
                    connections.Add(new Connection(name, name, new SparseWeights(self.Length, self.Length, index, index, [.. self]), Network.Delay.OneStep));
                }
            // The input's description and sequences only from a file whose conventions are HybridSpike's own.
            var ours = Ours(graph) is { } m && m.GetValueOrDefault(NirExtension.Format) is NirTextValue { Value: NirExtension.FormatValue } ? m : NirMetadata.Empty;
            string description = ours.GetValueOrDefault(NirExtension.InputDescription) is NirTextValue d ? d.Value : $"NIR input '{_inputName}'";
            var input = new InputMapping(_inputSize, description);
            if (ours.GetValueOrDefault(NirExtension.SequenceDataset) is NirTextValue dataset
                && ours.GetValueOrDefault(NirExtension.SequenceSplitSeed) is NirUnsignedValue split)
                input = input with
                {
                    Sequence = new SequenceInput(dataset.Value, split.Value,
                        ours.GetValueOrDefault(NirExtension.SequencePermutationSeed) is NirUnsignedValue perm ? perm.Value : null),
                };
            var network = new NetworkDescription([.. order.Select(n => populations[n].Population)], [.. connections], input, new OutputMapping(output, OutputMapping.LastStep));
            try
            {
                if (ArtifactLimits.Exceeded(network) is { } limit) throw new ArgumentException(limit);
                network.Validate();
            }
            catch (ArgumentException e)
            {
                throw new NirImportException("network", $"the imported network is invalid: {e.Message}");
            }
            return network;
        }

        /// <summary>diag(factor)·W: each target row scaled (one rounding per weight).</summary>
        private static Weights Scaled(Weights w, double[] factor) => w switch
        {
            DenseWeights d => new DenseWeights(Numerics.Matrix.Create(d.Targets, d.Sources, (i, j) => factor[i] * d.Matrix[i, j])),
            SparseWeights s => s with { Values = [.. s.Values.Select((v, k) => factor[s.TargetIndex[k]] * v)] },
            _ => throw new InvalidOperationException(),
        };
    }
}
