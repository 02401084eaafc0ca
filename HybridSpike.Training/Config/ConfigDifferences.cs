using System.Text.Json.Nodes;

namespace HybridSpike.Training.Config;

/// <summary>
/// What differs between two training configs, field by field, named as in the JSON (e.g. <c>training.learningRate</c>):
/// a resumed run must train on what the checkpoint trained on, or its result is no run at all.
/// </summary>
public static class ConfigDifferences
{
    /// <summary>Fields a resumed run may change: they do not change what is computed (the run's name, torch's thread count, where the data files are).</summary>
    public static readonly IReadOnlySet<string> FreeOnResume = new HashSet<string> { "name", "training.threads", "data.dataDirectory" };

    /// <summary>Every field whose value differs, as "field (checkpoint: A, this run: B)", in the JSON's order; fields in <see cref="FreeOnResume"/> are left out.</summary>
    public static IReadOnlyList<string> Between(TrainingConfig saved, TrainingConfig current)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(current);
        var result = new List<string>();
        Compare(JsonNode.Parse(saved.ToJson()), JsonNode.Parse(current.ToJson()), "", result);
        return result;
    }

    private static void Compare(JsonNode? a, JsonNode? b, string path, List<string> result)
    {
        if (FreeOnResume.Contains(path)) return;
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Concat(ob.Select(p => p.Key)).Distinct())
                Compare(oa[key], ob[key], path.Length == 0 ? key : $"{path}.{key}", result);
            return;
        }
        string sa = a?.ToJsonString() ?? "null", sb = b?.ToJsonString() ?? "null";
        if (sa != sb) result.Add($"{path} (checkpoint: {sa}, this run: {sb})");
    }
}
