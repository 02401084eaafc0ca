using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Artifact;

/// <summary>Maps the public records to the file's DTOs and back; reading names the field of each problem.</summary>
internal static class ArtifactMapping
{
    public const string Magic = "hybridspike-artifact";
    public const string Dense = "dense";
    public const string Sparse = "sparse";

    // ---- names of enum values in the file ----

    public static string DelayName(Delay d) => d switch
    {
        Delay.SameStep => "same-step",
        Delay.OneStep => "one-step",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, null),
    };

    public static string InitialStateName(InitialStateMode m) => m switch
    {
        InitialStateMode.Uniform => "uniform",
        InitialStateMode.Zeros => "zeros",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    private static readonly Delay[] Delays = Enum.GetValues<Delay>();
    private static readonly InitialStateMode[] InitialStates = Enum.GetValues<InitialStateMode>();
    private static readonly Activation[] ActivationValues = Enum.GetValues<Activation>();

    // ---- records -> DTOs ----

    public static ArtifactDto ToDto(ModelArtifact a) => new()
    {
        Format = Magic,
        SchemaVersion = a.SchemaVersion,
        Arithmetic = a.Arithmetic,
        Network = ToDto(a.Network),
        Provenance = new ProvenanceDto
        {
            ModelKind = a.Provenance.ModelKind,
            ConfigJson = a.Provenance.ConfigJson,
            Dataset = a.Provenance.Dataset,
            // Sorted so that the same artifact always gives the same bytes.
            Seeds = Sorted(a.Provenance.Seeds),
            Epochs = a.Provenance.Epochs,
            CreatedUtc = a.Provenance.CreatedUtc,
            ToolVersion = a.Provenance.ToolVersion,
            Notes = a.Provenance.Notes,
        },
        Metrics = Sorted(a.Metrics),
    };

    private static Dictionary<string, T> Sorted<T>(ImmutableDictionary<string, T> d)
    {
        var result = new Dictionary<string, T>(d.Count);
        foreach (var kv in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) result.Add(kv.Key, kv.Value);
        return result;
    }

    private static NetworkDto ToDto(NetworkDescription n) => new()
    {
        Input = new InputDto
        {
            Dimensions = n.Input.Dimensions,
            Description = n.Input.Description,
            Sequence = n.Input.Sequence is { } q ? new SequenceInputDto { Dataset = q.Dataset, SplitSeed = q.SplitSeed, PermutationSeed = q.PermutationSeed } : null,
        },
        Populations = n.Populations.Select(p => (PopulationDto?)new PopulationDto
        {
            Name = p.Name,
            Size = p.Size,
            Activation = Activations.Name(p.Activation),
            Omega = new NullableDouble(p.Omega),
            Bias = p.Bias.IsDefaultOrEmpty ? [] : DoublesToBlob(p.Bias.AsSpan()),
            InitialState = InitialStateName(p.InitialState),
            InitialSeed = p.InitialSeed,
            Quantizer = p.IsQuantized ? ToDto(p.Quantizer) : null,
        }).ToList(),
        Connections = n.Connections.Select(c => (ConnectionDto?)new ConnectionDto
        {
            Source = c.Source,
            Target = c.Target,
            Delay = DelayName(c.Delay),
            Weights = ToDto(c.Weights),
        }).ToList(),
        Output = new OutputDto { Population = n.Output.Population, ReadAt = n.Output.ReadAt },
    };

    private static WeightsDto ToDto(Weights w) => w switch
    {
        DenseWeights d => new WeightsDto
        {
            Kind = Dense, Rows = d.Targets, Cols = d.Sources,
            Values = DoublesToBlob(d.Matrix.Values.Span),
        },
        SparseWeights s => new WeightsDto
        {
            Kind = Sparse, Rows = s.Targets, Cols = s.Sources,
            Target = IntsToBlob(s.TargetIndex.AsSpan()),
            Source = IntsToBlob(s.SourceIndex.AsSpan()),
            Values = DoublesToBlob(s.Values.AsSpan()),
        },
        _ => throw new ArgumentException($"weights of type {w.GetType().Name} cannot be stored in an artifact"),
    };

    private static QuantizerDto ToDto(QuantizerRule q) => q switch
    {
        QuantizerRule.Stochastic s => new QuantizerDto { Rule = q.Name, Seed = s.Seed },
        QuantizerRule.Dithered d => new QuantizerDto { Rule = q.Name, Seed = d.Seed },
        QuantizerRule.SendOnDelta sd => new QuantizerDto { Rule = q.Name, Threshold = sd.Threshold },
        _ => new QuantizerDto { Rule = q.Name },
    };

    public static byte[] DoublesToBlob(ReadOnlySpan<double> values)
    {
        var blob = new byte[values.Length * sizeof(double)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(i * sizeof(double)), values[i]);
        return blob;
    }

    public static byte[] IntsToBlob(ReadOnlySpan<int> values)
    {
        var blob = new byte[values.Length * sizeof(int)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(i * sizeof(int)), values[i]);
        return blob;
    }

    // ---- DTOs -> records ----

    /// <summary>Builds the artifact; every problem becomes an <see cref="ArtifactFormatException"/> naming <paramref name="file"/> and the field.</summary>
    public static ModelArtifact FromDto(ArtifactDto dto, string file)
    {
        var reader = new FieldReader(file, dto.SchemaVersion ?? 0);
        string arithmetic = reader.Required(dto.Arithmetic, "arithmetic");
        if (!ArtifactArithmetic.Supported.Contains(arithmetic))
            throw reader.Error($"arithmetic '{arithmetic}' is not supported (supported: {string.Join(", ", ArtifactArithmetic.Supported)})");
        var network = reader.ReadNetwork(reader.Required(dto.Network, "network"), "network");
        var provenance = reader.ReadProvenance(reader.Required(dto.Provenance, "provenance"), "provenance");
        var metrics = reader.Required(dto.Metrics, "metrics").ToImmutableDictionary(StringComparer.Ordinal);
        if (ArtifactLimits.Exceeded(network) is { } limit) throw reader.Error(limit);
        try
        {
            network.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArtifactFormatException($"{file}: invalid network: {e.Message}", e);
        }
        return new ModelArtifact(reader.Required(dto.SchemaVersion, "schema_version"), arithmetic, network, provenance, metrics);
    }

    private sealed class FieldReader(string file, int schemaVersion)
    {
        public ArtifactFormatException Error(string problem) => new($"{file}: {problem}");

        public T Required<T>(T? value, string field) where T : class =>
            value ?? throw Error($"missing field '{field}'");

        public T Required<T>(T? value, string field) where T : struct =>
            value ?? throw Error($"missing field '{field}'");

        public NetworkDescription ReadNetwork(NetworkDto n, string at)
        {
            var input = Required(n.Input, $"{at}.input");
            var output = Required(n.Output, $"{at}.output");
            var populations = Required(n.Populations, $"{at}.populations");
            var connections = Required(n.Connections, $"{at}.connections");
            if (populations.Count > ArtifactLimits.MaxPopulations)
                throw Error($"{at}.populations: {populations.Count} populations exceed the limit of {ArtifactLimits.MaxPopulations}");
            if (connections.Count > ArtifactLimits.MaxConnections)
                throw Error($"{at}.connections: {connections.Count} connections exceed the limit of {ArtifactLimits.MaxConnections}");
            return new NetworkDescription(
                [.. populations.Select((p, i) => ReadPopulation(Required(p, $"{at}.populations[{i}]"), $"{at}.populations[{i}]"))],
                [.. connections.Select((c, i) => ReadConnection(Required(c, $"{at}.connections[{i}]"), $"{at}.connections[{i}]"))],
                new InputMapping(Required(input.Dimensions, $"{at}.input.dimensions"), Required(input.Description, $"{at}.input.description"))
                {
                    Sequence = input.Sequence is { } q ? ReadSequence(q, $"{at}.input.sequence") : null,
                },
                new OutputMapping(Required(output.Population, $"{at}.output.population"), Required(output.ReadAt, $"{at}.output.read_at")));
        }

        private SequenceInput ReadSequence(SequenceInputDto q, string at)
        {
            var dataset = Required(q.Dataset, $"{at}.dataset");
            if (!Data.Datasets.Names.Contains(dataset))
                throw Error($"{at}.dataset: unknown dataset '{dataset}' (valid: {string.Join(", ", Data.Datasets.Names)})");
            return new SequenceInput(dataset, Required(q.SplitSeed, $"{at}.split_seed"), q.PermutationSeed);
        }

        private Population ReadPopulation(PopulationDto p, string at)
        {
            // "omega" must be present; nil means "not quantized".
            string activation = Required(p.Activation, $"{at}.activation");
            string initial = Required(p.InitialState, $"{at}.initial_state");
            var bias = Required(p.Bias, $"{at}.bias");
            int size = Required(p.Size, $"{at}.size");
            // Checked here, before the network is built: nothing downstream allocates by a size over the limit.
            if (size > ArtifactLimits.MaxUnits) throw Error($"{at}.size: {size} units exceed the limit of {ArtifactLimits.MaxUnits} per population");
            var omega = Required(p.Omega, $"{at}.omega").Value;
            return new Population(
                Required(p.Name, $"{at}.name"),
                size,
                ParseName(activation, $"{at}.activation", ActivationValues, Activations.Name),
                omega,
                Doubles(bias, $"{at}.bias", expected: null),
                ParseName(initial, $"{at}.initial_state", InitialStates, InitialStateName),
                Required(p.InitialSeed, $"{at}.initial_seed"))
            {
                Quantizer = ReadQuantizer(p.Quantizer, omega is not null, $"{at}.quantizer"),
            };
        }

        /// <summary>Schema 3 names the rule of every quantized population; schemas 1 and 2 knew only sigma-delta.</summary>
        private QuantizerRule ReadQuantizer(QuantizerDto? q, bool quantized, string at)
        {
            if (schemaVersion < 3)
                return q is null ? QuantizerRule.Default : throw Error($"{at}: schema {schemaVersion} has no quantizer field (it came in schema 3)");
            if (!quantized) return q is null ? QuantizerRule.Default : throw Error($"{at}: a non-spiking population (omega nil) has no quantizer");
            q = Required(q, at);
            string rule = Required(q.Rule, $"{at}.rule");
            QuantizerRule result = rule switch
            {
                "sigma-delta" => QuantizerRule.Default,
                "rounding" => new QuantizerRule.Rounding(),
                "stochastic" => new QuantizerRule.Stochastic(Required(q.Seed, $"{at}.seed")),
                "dithered" => new QuantizerRule.Dithered(Required(q.Seed, $"{at}.seed")),
                "send-on-delta" => new QuantizerRule.SendOnDelta(Required(q.Threshold, $"{at}.threshold")),
                _ => throw Error($"{at}.rule: unknown quantizer rule '{rule}' (valid: {string.Join(", ", Quantizers.Names)})"),
            };
            if (q.Seed is not null && result is not (QuantizerRule.Stochastic or QuantizerRule.Dithered)) throw Error($"{at}.seed: the {rule} rule takes no seed");
            if (q.Threshold is not null && result is not QuantizerRule.SendOnDelta) throw Error($"{at}.threshold: the {rule} rule takes no threshold");
            return result;
        }

        private Connection ReadConnection(ConnectionDto c, string at) =>
            new(Required(c.Source, $"{at}.source"),
                Required(c.Target, $"{at}.target"),
                ReadWeights(Required(c.Weights, $"{at}.weights"), $"{at}.weights"),
                ParseName(Required(c.Delay, $"{at}.delay"), $"{at}.delay", Delays, DelayName));

        private Weights ReadWeights(WeightsDto w, string at)
        {
            string kind = Required(w.Kind, $"{at}.kind");
            int rows = Required(w.Rows, $"{at}.rows");
            int cols = Required(w.Cols, $"{at}.cols");
            if (rows < 0 || cols < 0) throw Error($"{at}: shape {rows}x{cols} is negative");
            if (rows > ArtifactLimits.MaxUnits) throw Error($"{at}.rows: {rows} exceeds the limit of {ArtifactLimits.MaxUnits} units per population");
            if (cols > Math.Max(ArtifactLimits.MaxUnits, ArtifactLimits.MaxInputDimensions))
                throw Error($"{at}.cols: {cols} exceeds the limit of {Math.Max(ArtifactLimits.MaxUnits, ArtifactLimits.MaxInputDimensions)} units per population");
            var values = Required(w.Values, $"{at}.values");
            switch (kind)
            {
                case Dense:
                {
                    long count = (long)rows * cols;
                    if (count > ArtifactLimits.MaxWeightsPerConnection)
                        throw Error($"{at}: a {rows}x{cols} dense matrix has {count} weights, over the limit of {ArtifactLimits.MaxWeightsPerConnection} per connection");
                    var v = Doubles(values, $"{at}.values", expected: count, what: $"a {rows}x{cols} dense matrix");
                    return new DenseWeights(Matrix.Wrap(rows, cols, ImmutableCollectionsMarshal.AsArray(v)!));
                }
                case Sparse:
                {
                    if (values.Length / sizeof(double) > ArtifactLimits.MaxWeightsPerConnection)
                        throw Error($"{at}.values: {values.Length / sizeof(double)} synapses exceed the limit of {ArtifactLimits.MaxWeightsPerConnection} per connection");
                    var v = Doubles(values, $"{at}.values", expected: null);
                    string synapses = $"{v.Length} synapses ({at}.values)";
                    var target = Ints(Required(w.Target, $"{at}.target"), $"{at}.target", v.Length, synapses);
                    var source = Ints(Required(w.Source, $"{at}.source"), $"{at}.source", v.Length, synapses);
                    return new SparseWeights(rows, cols, target, source, v);
                }
                default:
                    throw Error($"{at}.kind: unknown weights kind '{kind}' (valid: {Dense}, {Sparse})");
            }
        }

        public Provenance ReadProvenance(ProvenanceDto p, string at) =>
            new(Required(p.ModelKind, $"{at}.model_kind"),
                Required(p.ConfigJson, $"{at}.config_json"),
                Required(p.Dataset, $"{at}.dataset"),
                Required(p.Seeds, $"{at}.seeds").ToImmutableDictionary(StringComparer.Ordinal),
                Required(p.Epochs, $"{at}.epochs"),
                Required(p.CreatedUtc, $"{at}.created_utc"),
                Required(p.ToolVersion, $"{at}.tool_version"),
                Required(p.Notes, $"{at}.notes"));

        private ImmutableArray<double> Doubles(byte[] blob, string field, long? expected, string? what = null)
        {
            if (blob.Length % sizeof(double) != 0)
                throw Error($"{field}: blob length mismatch: {blob.Length} bytes is not a whole number of little-endian float64 values");
            long count = blob.Length / sizeof(double);
            if (expected is { } n && count != n)
                throw Error($"{field}: blob length mismatch: {blob.Length} bytes ({count} float64), {what} needs {n} ({n * sizeof(double)} bytes)");
            var v = new double[count];
            for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(blob.AsSpan(i * sizeof(double)));
            return ImmutableCollectionsMarshal.AsImmutableArray(v);
        }

        private ImmutableArray<int> Ints(byte[] blob, string field, int expected, string what)
        {
            if (blob.Length != (long)expected * sizeof(int))
                throw Error($"{field}: blob length mismatch: {blob.Length} bytes, {what} need {expected} little-endian int32 ({expected * sizeof(int)} bytes)");
            var v = new int[expected];
            for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(i * sizeof(int)));
            return ImmutableCollectionsMarshal.AsImmutableArray(v);
        }

        private T ParseName<T>(string name, string field, T[] values, Func<T, string> nameOf)
        {
            foreach (var v in values) if (nameOf(v) == name) return v;
            throw Error($"{field}: unknown value '{name}' (valid: {string.Join(", ", values.Select(nameOf))})");
        }
    }
}
