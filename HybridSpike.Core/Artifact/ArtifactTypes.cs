using MessagePack;

namespace HybridSpike.Core.Artifact;

/// <summary>
/// Which MessagePack type each key of the schema takes (docs/artifact.md), to name the field when the
/// deserializer refuses a value of the wrong type: it says only "unexpected msgpack code". Run after such a
/// failure, on bytes <see cref="MessagePackScan"/> has already found well-formed.
/// </summary>
internal static class ArtifactTypes
{
    private enum Kind { String, Int32, UInt64, Float, Bin, Map, Array }

    /// <summary>Keys of a path with its array indices as "[]" and the keys of open maps (metrics, seeds) as "*".</summary>
    private static readonly Dictionary<string, Kind> Schema = new()
    {
        ["format"] = Kind.String, ["schema_version"] = Kind.Int32, ["arithmetic"] = Kind.String,
        ["network"] = Kind.Map, ["provenance"] = Kind.Map, ["metrics"] = Kind.Map, ["metrics.*"] = Kind.Float, ["digest"] = Kind.Bin,
        ["network.input"] = Kind.Map, ["network.input.dimensions"] = Kind.Int32, ["network.input.description"] = Kind.String,
        ["network.input.sequence"] = Kind.Map, ["network.input.sequence.dataset"] = Kind.String,
        ["network.input.sequence.split_seed"] = Kind.UInt64, ["network.input.sequence.permutation_seed"] = Kind.UInt64,
        ["network.populations"] = Kind.Array, ["network.populations[]"] = Kind.Map,
        ["network.populations[].name"] = Kind.String, ["network.populations[].size"] = Kind.Int32,
        ["network.populations[].activation"] = Kind.String, ["network.populations[].omega"] = Kind.Float,
        ["network.populations[].bias"] = Kind.Bin, ["network.populations[].initial_state"] = Kind.String,
        ["network.populations[].initial_seed"] = Kind.UInt64, ["network.populations[].quantizer"] = Kind.Map,
        ["network.populations[].quantizer.rule"] = Kind.String, ["network.populations[].quantizer.seed"] = Kind.UInt64,
        ["network.populations[].quantizer.threshold"] = Kind.Float,
        ["network.connections"] = Kind.Array, ["network.connections[]"] = Kind.Map,
        ["network.connections[].source"] = Kind.String, ["network.connections[].target"] = Kind.String,
        ["network.connections[].delay"] = Kind.String, ["network.connections[].weights"] = Kind.Map,
        ["network.connections[].weights.kind"] = Kind.String, ["network.connections[].weights.rows"] = Kind.Int32,
        ["network.connections[].weights.cols"] = Kind.Int32, ["network.connections[].weights.target"] = Kind.Bin,
        ["network.connections[].weights.source"] = Kind.Bin, ["network.connections[].weights.values"] = Kind.Bin,
        ["network.output"] = Kind.Map, ["network.output.population"] = Kind.String, ["network.output.read_at"] = Kind.String,
        ["provenance.model_kind"] = Kind.String, ["provenance.config_json"] = Kind.String, ["provenance.dataset"] = Kind.String,
        ["provenance.seeds"] = Kind.Map, ["provenance.seeds.*"] = Kind.UInt64, ["provenance.epochs"] = Kind.Int32,
        ["provenance.created_utc"] = Kind.String, ["provenance.tool_version"] = Kind.String, ["provenance.notes"] = Kind.String,
    };

    /// <summary>The first value of the wrong type, as "field: expected …, found …"; null when every known key has its type.</summary>
    public static string? FirstMismatch(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        try
        {
            return Entries(ref reader, "", "");
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException)
        {
            return null;   // the caller reports the deserializer's own message
        }
    }

    private static string? Entries(ref MessagePackReader r, string path, string norm)
    {
        int count = r.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            if (r.NextMessagePackType != MessagePackType.String)
            {
                if (norm is "metrics" or "provenance.seeds" || Schema.ContainsKey(norm))
                    return $"{(path.Length == 0 ? "the top-level map" : path)}: a key is {Name(r.NextMessagePackType)}, not a string";
                r.Skip(); r.Skip();
                continue;
            }
            string key = r.ReadString()!;
            string childNorm = norm is "metrics" or "provenance.seeds" ? $"{norm}.*" : norm.Length == 0 ? key : $"{norm}.{key}";
            string childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (Value(ref r, childPath, childNorm) is { } problem) return problem;
        }
        return null;
    }

    private static string? Value(ref MessagePackReader r, string path, string norm)
    {
        if (!Schema.TryGetValue(norm, out var kind)) { r.Skip(); return null; }   // a key this version does not know
        var type = r.NextMessagePackType;
        if (type == MessagePackType.Nil) { r.ReadNil(); return null; }          // read as absent: "missing field" names it
        string Expected(string what) => $"{path}: expected {what}, found {Name(type)}";
        switch (kind)
        {
            case Kind.String:
                if (type != MessagePackType.String) return Expected("a string");
                r.Skip();
                return null;
            case Kind.Bin:
                if (type != MessagePackType.Binary) return Expected("a bin");
                r.Skip();
                return null;
            case Kind.Float:
                if (type is not (MessagePackType.Float or MessagePackType.Integer)) return Expected("a number");
                r.Skip();
                return null;
            case Kind.Int32:
            case Kind.UInt64:
            {
                if (type != MessagePackType.Integer) return Expected("an integer");
                bool negative = r.NextCode is >= 0xe0 or (>= 0xd0 and <= 0xd3);
                if (kind == Kind.UInt64)
                {
                    if (negative && r.ReadInt64() < 0) return $"{path}: a negative integer where an unsigned 64-bit one is needed";
                    if (!negative) r.Skip();
                    return null;
                }
                if (!negative)
                {
                    ulong u = r.ReadUInt64();
                    return u > int.MaxValue ? $"{path}: {u} is out of range of a 32-bit integer" : null;
                }
                long v = r.ReadInt64();
                return v is < int.MinValue or > int.MaxValue ? $"{path}: {v} is out of range of a 32-bit integer" : null;
            }
            case Kind.Map:
                if (type != MessagePackType.Map) return Expected("a map");
                return Entries(ref r, path, norm);
            default:
            {
                if (type != MessagePackType.Array) return Expected("an array");
                int n = r.ReadArrayHeader();
                for (int i = 0; i < n; i++)
                    if (Value(ref r, $"{path}[{i}]", $"{norm}[]") is { } problem) return problem;
                return null;
            }
        }
    }

    private static string Name(MessagePackType t) => t switch
    {
        MessagePackType.Integer => "an integer",
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a boolean",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "a bin",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an ext",
        _ => "an unknown type",
    };
}
