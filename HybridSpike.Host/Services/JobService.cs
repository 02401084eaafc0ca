using System.Text.Json;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Services;

/// <summary><c>hybridspike job submit|status</c>: a trainer's client (<see cref="TrainerClient"/>).</summary>
internal static class JobService
{
    /// <summary>Submits; with --wait follows the job to its end: exit 0 if it succeeded, 1 if it failed or was cancelled, 69 if the trainer stopped first.</summary>
    public static async Task<int> SubmitAsync(JobSubmitRequest request, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        JsonElement config;
        try
        {
            // As the config files are written: comments allowed (the trainer validates the config itself).
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(request.Config, cancel), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            config = doc.RootElement.Clone();
        }
        catch (JsonException e) { throw new ArgumentException($"--config {request.Config} is not JSON: {e.Message}", e); }
        using var client = new TrainerClient(request.Url);
        var submission = new JobSubmission(config, request.Epochs, request.TrainLimit, Deploy: request.Deploy is null ? null : true, Url: request.Deploy?.ToString());
        var job = await Reach(() => client.SubmitAsync(submission, cancel), request.Url);
        if (!request.Wait)
        {
            if (request.Json) Cli.WriteJson(output, job);
            else output.WriteLine($"job {job.Id} {State(job)}: {job.Name} in {job.Folder}");
            return 0;
        }
        error.WriteLine($"job {job.Id}: {job.Name} queued on {request.Url}; Ctrl-C stops waiting (the job goes on)");
        int epoch = 0;
        var ended = await client.WaitAsync(job.Id, new Follow(e =>
        {
            // One line an epoch (its last batch) and one a change of state: a batch's line would flood a log.
            if (e.Progress is { } p && (p.Batch == p.Batches || p.Epoch != epoch))
            {
                epoch = p.Epoch;
                if (p.Batch == p.Batches) error.WriteLine($"job {job.Id}: {Progress(p)}");
            }
            else if (e.Job is { } s) error.WriteLine($"job {job.Id} {State(s)}");
        }), cancel);
        if (request.Json) Cli.WriteJson(output, ended);
        else Write(output, ended);
        switch (ended.State)
        {
            case JobState.Succeeded: return 0;
            case JobState.Failed: error.WriteLine($"error: job {ended.Id} failed: {ended.Error}"); return Cli.BadInput;
            case JobState.Cancelled: error.WriteLine($"error: job {ended.Id} was cancelled; its checkpoint is kept in {ended.Folder}"); return Cli.BadInput;
            default: error.WriteLine($"error: the trainer stopped before job {ended.Id} ended; it resumes when a trainer starts on its folder"); return Cli.Unavailable;
        }
    }

    public static async Task<int> StatusAsync(JobStatusRequest request, TextWriter output, CancellationToken cancel)
    {
        using var client = new TrainerClient(request.Url);
        var job = await Reach(() => client.JobAsync(request.Id, cancel), request.Url);
        if (request.Json) Cli.WriteJson(output, job);
        else Write(output, job);
        return 0;
    }

    private static void Write(TextWriter o, JobInfo job)
    {
        o.WriteLine($"job {job.Id} {State(job)}: {job.Name}, epoch {job.Epoch}/{job.Epochs}, in {job.Folder}");
        if (job.Last is { } p) o.WriteLine($"  last: {Progress(p)}");
        foreach (var r in job.Resumed) o.WriteLine($"  resumed from its checkpoint at epoch {r.Epoch}, batch {r.Batch}");
        foreach (var h in job.History) o.WriteLine($"  epoch {h.Epoch,3}  train loss {h.TrainLoss:0.0000} acc {h.TrainAccuracy:P2}  test loss {h.TestLoss:0.0000} acc {h.TestAccuracy:P2}");
        if (job.Artifact is { } a) o.WriteLine($"  artifact: {a}");
        if (job.Deployed is { } d) o.WriteLine($"  deployed to {job.DeployTo}: serving {d.Name} version {d.Version}");
        if (job.DeployError is { } de) o.WriteLine($"  not deployed: {de}");
        if (job.Error is { } e) o.WriteLine($"  error: {e}");
    }

    private static string State(JobInfo job) => JsonSerializer.Serialize(job.State, StreamClient.Json).Trim('"');

    private static string Progress(JobProgress p) =>
        $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches} loss {p.Loss:0.000} acc {p.Accuracy:P1} {string.Join(" ", p.Omega.Select(o => $"ω_{o.Key}={o.Value:0.##}"))}";

    private static async Task<T> Reach<T>(Func<Task<T>> call, Uri url)
    {
        try { return await call(); }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new IOException($"--url {url}: no trainer answers there ({e.Message}); start one with hybridspike trainer", e);
        }
    }

    /// <summary>Events reported synchronously, in order (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class Follow(Action<JobEvent> report) : IProgress<JobEvent>
    {
        public void Report(JobEvent value) => report(value);
    }
}
