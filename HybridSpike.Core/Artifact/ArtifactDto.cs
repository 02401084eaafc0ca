using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace HybridSpike.Core.Artifact;

// The file's shape, one class per MessagePack map, keys as written in docs/artifact.md. Every field is
// nullable so that a missing key reads as null and the mapping can name it; the public records stay
// free of serializer attributes.

[MessagePackObject]
internal sealed class ArtifactDto
{
    [Key("format")] public string? Format { get; set; }
    [Key("schema_version")] public int? SchemaVersion { get; set; }
    [Key("arithmetic")] public string? Arithmetic { get; set; }
    [Key("network")] public NetworkDto? Network { get; set; }
    [Key("provenance")] public ProvenanceDto? Provenance { get; set; }
    [Key("metrics")] public Dictionary<string, double>? Metrics { get; set; }
    /// <summary>Schema 2: the SHA-256 of the bytes before this entry, which must be the map's last (checked on the raw bytes, ArtifactFile.CheckDigest).</summary>
    [Key("digest")] public byte[]? Digest { get; set; }
}

[MessagePackObject]
internal sealed class NetworkDto
{
    [Key("input")] public InputDto? Input { get; set; }
    [Key("populations")] public List<PopulationDto?>? Populations { get; set; }
    [Key("connections")] public List<ConnectionDto?>? Connections { get; set; }
    [Key("output")] public OutputDto? Output { get; set; }
}

[MessagePackObject]
internal sealed class InputDto
{
    [Key("dimensions")] public int? Dimensions { get; set; }
    [Key("description")] public string? Description { get; set; }
    /// <summary>Optional: where the sequences come from (absent in artifacts written before it existed).</summary>
    [Key("sequence")] public SequenceInputDto? Sequence { get; set; }
}

[MessagePackObject]
internal sealed class SequenceInputDto
{
    [Key("dataset")] public string? Dataset { get; set; }
    [Key("split_seed")] public ulong? SplitSeed { get; set; }
    /// <summary>Nil for the sequential order.</summary>
    [Key("permutation_seed")] public ulong? PermutationSeed { get; set; }
}

[MessagePackObject]
internal sealed class OutputDto
{
    [Key("population")] public string? Population { get; set; }
    [Key("read_at")] public string? ReadAt { get; set; }
}

[MessagePackObject]
internal sealed class PopulationDto
{
    [Key("name")] public string? Name { get; set; }
    [Key("size")] public int? Size { get; set; }
    [Key("activation")] public string? Activation { get; set; }
    /// <summary>Nil for a non-spiking population: present with a nil value, not absent.</summary>
    [Key("omega")] public NullableDouble? Omega { get; set; }
    [Key("bias")] public byte[]? Bias { get; set; }
    [Key("initial_state")] public string? InitialState { get; set; }
    [Key("initial_seed")] public ulong? InitialSeed { get; set; }
    /// <summary>Schema 3: the rule of a quantized population (nil for a non-spiking one); absent in 1 and 2 (sigma-delta).</summary>
    [Key("quantizer")] public QuantizerDto? Quantizer { get; set; }
}

[MessagePackObject]
internal sealed class QuantizerDto
{
    [Key("rule")] public string? Rule { get; set; }
    /// <summary>Stochastic and dithered only.</summary>
    [Key("seed")] public ulong? Seed { get; set; }
    /// <summary>Send-on-delta only.</summary>
    [Key("threshold")] public double? Threshold { get; set; }
}

[MessagePackObject]
internal sealed class ConnectionDto
{
    [Key("source")] public string? Source { get; set; }
    [Key("target")] public string? Target { get; set; }
    [Key("delay")] public string? Delay { get; set; }
    [Key("weights")] public WeightsDto? Weights { get; set; }
}

/// <summary>
/// Dense <c>{kind, rows, cols, values}</c> or sparse <c>{kind, rows, cols, target, source, values}</c>:
/// one class, written by hand so that a dense map carries no nil index entries.
/// </summary>
[MessagePackFormatter(typeof(WeightsDtoFormatter))]
internal sealed class WeightsDto
{
    public string? Kind { get; set; }
    public int? Rows { get; set; }
    public int? Cols { get; set; }
    public byte[]? Target { get; set; }
    public byte[]? Source { get; set; }
    public byte[]? Values { get; set; }
}

[MessagePackObject]
internal sealed class ProvenanceDto
{
    [Key("model_kind")] public string? ModelKind { get; set; }
    [Key("config_json")] public string? ConfigJson { get; set; }
    [Key("dataset")] public string? Dataset { get; set; }
    [Key("seeds")] public Dictionary<string, ulong>? Seeds { get; set; }
    [Key("epochs")] public int? Epochs { get; set; }
    [Key("created_utc")] public string? CreatedUtc { get; set; }
    [Key("tool_version")] public string? ToolVersion { get; set; }
    [Key("notes")] public string? Notes { get; set; }
}

/// <summary>A value that may be nil but must be present: null (the property) means absent.</summary>
[MessagePackFormatter(typeof(NullableDoubleFormatter))]
internal sealed record NullableDouble(double? Value);

internal sealed class NullableDoubleFormatter : IMessagePackFormatter<NullableDouble?>
{
    public void Serialize(ref MessagePackWriter writer, NullableDouble? value, MessagePackSerializerOptions options)
    {
        if (value?.Value is { } v) writer.Write(v);
        else writer.WriteNil();
    }

    public NullableDouble? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        new(reader.TryReadNil() ? null : reader.ReadDouble());
}

internal sealed class WeightsDtoFormatter : IMessagePackFormatter<WeightsDto?>
{
    public void Serialize(ref MessagePackWriter writer, WeightsDto? value, MessagePackSerializerOptions options)
    {
        if (value is null) { writer.WriteNil(); return; }
        int count = 1 + (value.Rows is null ? 0 : 1) + (value.Cols is null ? 0 : 1)
            + (value.Target is null ? 0 : 1) + (value.Source is null ? 0 : 1) + (value.Values is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.Write("kind"); writer.Write(value.Kind);
        if (value.Rows is { } rows) { writer.Write("rows"); writer.Write(rows); }
        if (value.Cols is { } cols) { writer.Write("cols"); writer.Write(cols); }
        if (value.Target is { } target) { writer.Write("target"); writer.Write(target); }
        if (value.Source is { } source) { writer.Write("source"); writer.Write(source); }
        if (value.Values is { } values) { writer.Write("values"); writer.Write(values); }
    }

    public WeightsDto? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        options.Security.DepthStep(ref reader);
        var dto = new WeightsDto();
        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            string? key = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
            switch (key)
            {
                case "kind": dto.Kind = reader.ReadString(); break;
                case "rows": dto.Rows = reader.TryReadNil() ? null : reader.ReadInt32(); break;
                case "cols": dto.Cols = reader.TryReadNil() ? null : reader.ReadInt32(); break;
                case "target": dto.Target = ReadBlob(ref reader); break;
                case "source": dto.Source = ReadBlob(ref reader); break;
                case "values": dto.Values = ReadBlob(ref reader); break;
                default:
                    if (key is null) reader.Skip(); // a non-string key
                    reader.Skip();
                    break;
            }
        }
        reader.Depth--;
        return dto;
    }

    private static byte[]? ReadBlob(ref MessagePackReader reader) => reader.ReadBytes()?.ToArray();
}
