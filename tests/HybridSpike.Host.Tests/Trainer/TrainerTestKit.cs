using System.Text.Json;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Tests.Trainer;

/// <summary>What the trainer tests share: an in-process trainer on a free loopback port, the tiny config, a job's events.</summary>
internal static class TrainerTestKit
{
    /// <summary>A trainer on http://127.0.0.1:0 over <paramref name="jobs"/> (the caller disposes it).</summary>
    public static Task<TrainerApp> StartAsync(string jobs, Uri? deployTo = null, int maxQueued = 16, TextWriter? log = null) =>
        TrainerApp.StartAsync(new TrainerOptions("http://127.0.0.1:0", jobs, deployTo, maxQueued), log ?? TextWriter.Null, CancellationToken.None);

    /// <summary>The repository's root (the folder of HybridSpike.sln above the test's binaries).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HybridSpike.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("HybridSpike.sln not found above the test's folder");
    }

    /// <summary>configs/hslmu-tiny.json as a job's config object (its comments dropped, as a client sends it).</summary>
    public static JsonElement TinyConfig()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "configs", "hslmu-tiny.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return doc.RootElement.Clone();
    }

    /// <summary>The tiny model on <paramref name="trainLimit"/> sequences (batches of 100) for <paramref name="epochs"/> epochs, tested on 50: seconds an epoch.</summary>
    public static JobSubmission Tiny(int epochs, int trainLimit = 200, bool? deploy = null, string? url = null) =>
        new(TinyConfig(), epochs, trainLimit, 50, deploy, url);

    /// <summary>A job's events until it ends (or the stream does), within <paramref name="limit"/>.</summary>
    public static async Task<List<JobEvent>> EventsAsync(TrainerClient client, string id, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var events = new List<JobEvent>();
        await foreach (var e in client.EventsAsync(id, timeout.Token)) events.Add(e);
        return events;
    }

    /// <summary>Waits for the first event that <paramref name="match"/>es.</summary>
    public static async Task<JobEvent> FirstAsync(TrainerClient client, string id, Func<JobEvent, bool> match, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        await foreach (var e in client.EventsAsync(id, timeout.Token))
            if (match(e)) return e;
        throw new InvalidOperationException($"job {id}'s events ended without the one awaited");
    }
}
