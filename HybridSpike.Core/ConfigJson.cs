using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridSpike.Core;

/// <summary>
/// The one way HybridSpike reads its JSON files (training configs, hardware profiles): camelCase,
/// comments and trailing commas allowed, unknown fields and duplicate keys refused, and errors that name the file
/// and the field.
/// </summary>
public static class ConfigJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A key given twice would silently take its last value: refused, the error naming the key.
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Deserializes <paramref name="json"/>; a syntax or type error becomes the exception
    /// <paramref name="error"/> makes of a message that starts with <paramref name="source"/> and the field's path.
    /// </summary>
    public static T Parse<T>(string json, string source, Func<string, Exception, Exception> error) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw error($"{source}: empty", new JsonException("null"));
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 2 } p ? $" at {p[2..]}" : "";
            throw error($"{source}{where}: {e.Message}", e);
        }
    }
}
