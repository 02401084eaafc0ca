using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using HybridSpike.Core;

namespace HybridSpike.Training.Config;

/// <summary>
/// The one reader of training configs, whether from a file (<c>train --config</c>, <c>experiment --configs</c>,
/// <c>demo --config</c>) or from a checkpoint: <see cref="ConfigJson"/>'s rules (camelCase, comments and trailing
/// commas allowed, unknown fields refused) and, stricter, valid UTF-8 only, no key twice, no JSON null where a
/// section or a value belongs. Each error is one line naming the source and the field's path.
/// </summary>
public static partial class TrainingConfigJson
{
    /// <summary>
    /// The largest config file read (1 MiB). A config is a few hundred bytes; the limit keeps a wrong path
    /// (a dataset, a device) from being read whole.
    /// </summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly JsonSerializerOptions Strict = new(ConfigJson.Options)
    {
        // Left at their defaults, a repeated key silently takes the last value, and a null section is set as
        // null and fails later as a NullReferenceException.
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
    };

    private static readonly JsonDocumentOptions Document = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The text of the config file at <paramref name="path"/>, decoded strictly (a UTF-8 byte order mark is skipped).</summary>
    public static string ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found", path);
        var bytes = new byte[MaxFileBytes + 1];
        int length = 0;
        try
        {
            using var stream = File.OpenRead(path);
            // Read by hand, not File.ReadAllBytes: a device or a growing file has no length to trust.
            for (int n; length < bytes.Length && (n = stream.Read(bytes, length, bytes.Length - length)) > 0;) length += n;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigException($"config {path} cannot be read: {e.Message}", e);
        }
        if (length > MaxFileBytes)
            throw new ConfigException($"config {path} is larger than {MaxFileBytes:N0} bytes; a training config is a small JSON file");
        return Decode(bytes.AsSpan(0, length), path);
    }

    /// <summary>
    /// <paramref name="bytes"/> as text, refusing any byte that is not UTF-8: a lenient decoder would turn it
    /// into U+FFFD and read on.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        int skipped = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var text = bytes[skipped..];
        var chars = new char[text.Length];
        var status = Utf8.ToUtf16(text, chars, out int read, out int written, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new ConfigException($"config {path} is not valid UTF-8 (byte offset {skipped + read:N0})");
        return new string(chars, 0, written);
    }

    /// <summary>The config in <paramref name="json"/>, not yet validated (<see cref="TrainingConfig.Parse"/> does both).</summary>
    public static TrainingConfig Deserialize(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingConfig>(json, Strict)
                ?? throw new ConfigException($"{source}: the config is null; it must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ConfigException(source + OneLine(Explain(e, json)), e);
        }
    }

    /// <summary>The serializer's error said by the field: the duplicate key, the null, the number outside its range.</summary>
    private static string Explain(JsonException e, string json)
    {
        string? field = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        if (DuplicateProperty().Match(e.Message) is { Success: true } duplicate)
        {
            var key = duplicate.Groups[1].Value;
            string? parent = field is null || field == key ? null : field.EndsWith("." + key, StringComparison.Ordinal) ? field[..^(key.Length + 1)] : field;
            return $": duplicate key '{key}' {(parent is null ? "at the top level" : "in " + parent)}";
        }
        if (field is not null && ValueAt(json, field) is { } value)
        {
            if (value.ValueKind == JsonValueKind.Null) return $": {field} is null; give a value or leave it out for the default";
            if (value.ValueKind == JsonValueKind.Number && ConfigLimits.Of(field) is { } range && value.TryGetDouble(out var number))
                return ": " + (range.Contains(number) ? $"{field} must be a whole number, got {value.GetRawText()}" : range.Refusal(FieldRange.Show(number)));
        }
        return field is null ? $": {e.Message}" : $" at {field}: {e.Message}";
    }

    /// <summary><paramref name="text"/> with its control characters escaped, so that an error stays one line whatever a key or value holds.</summary>
    internal static string OneLine(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : text;

    /// <summary>The value at a dotted path of plain names (all a training config has), or null if it cannot be found.</summary>
    private static JsonElement? ValueAt(string json, string field)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, Document);
            var at = doc.RootElement;
            foreach (var name in field.Split('.'))
                if (at.ValueKind != JsonValueKind.Object || !at.TryGetProperty(name, out at)) return null;
            return at.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("^Duplicate property '(.+?)'")]
    private static partial Regex DuplicateProperty();
}
