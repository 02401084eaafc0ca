using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HybridSpike.Core.Serving;

/// <summary>
/// A client of <c>hybridspike trainer</c> (docs/trainer.md): submits training jobs, reads their state and progress,
/// cancels them. Task-based, every call cancellable; a refusal is a <see cref="StreamServiceException"/> with the
/// trainer's message (400 a bad config, 404 an unknown job, 429 a full queue with its Retry-After).
/// </summary>
public sealed class TrainerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client of the trainer at <paramref name="trainer"/> (for example http://127.0.0.1:5090).</summary>
    public TrainerClient(Uri trainer) : this(trainer, new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, true) { }

    /// <summary>A client sending through <paramref name="http"/> (not disposed with this client; an event stream lasts as long as its timeout allows).</summary>
    public TrainerClient(Uri trainer, HttpClient http) : this(trainer, http, false) { }

    private TrainerClient(Uri trainer, HttpClient http, bool owns)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(http);
        if (trainer.Scheme != Uri.UriSchemeHttp) throw new ArgumentException($"the trainer address {trainer} is not http://");
        Trainer = trainer;
        _http = http;
        _ownsHttp = owns;
    }

    public Uri Trainer { get; }

    /// <summary>Queues a job; the trainer answers its state (queued).</summary>
    public async Task<JobInfo> SubmitAsync(JobSubmission job, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var r = await _http.PostAsJsonAsync(new Uri(Trainer, "/v2/jobs"), job, StreamClient.Json, cancel).ConfigureAwait(false);
        return await Read<JobInfo>(r, "POST /v2/jobs", cancel).ConfigureAwait(false);
    }

    /// <summary>Every job the trainer holds, newest first.</summary>
    public async Task<IReadOnlyList<JobInfo>> JobsAsync(CancellationToken cancel)
    {
        using var r = await _http.GetAsync(new Uri(Trainer, "/v2/jobs"), cancel).ConfigureAwait(false);
        return await Read<JobInfo[]>(r, "GET /v2/jobs", cancel).ConfigureAwait(false);
    }

    public async Task<JobInfo> JobAsync(string id, CancellationToken cancel)
    {
        using var r = await _http.GetAsync(JobUri(id), cancel).ConfigureAwait(false);
        return await Read<JobInfo>(r, $"GET /v2/jobs/{id}", cancel).ConfigureAwait(false);
    }

    /// <summary>Cancels a job: a queued one at once, a running one at its next batch (its checkpoint is kept). Answers its state then.</summary>
    public async Task<JobInfo> CancelAsync(string id, CancellationToken cancel)
    {
        using var r = await _http.DeleteAsync(JobUri(id), cancel).ConfigureAwait(false);
        return await Read<JobInfo>(r, $"DELETE /v2/jobs/{id}", cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// A job's events (server-sent): first its history so far, then each as it happens, up to the state event that
    /// ends it (or until the trainer stops).
    /// </summary>
    public async IAsyncEnumerable<JobEvent> EventsAsync(string id, [EnumeratorCancellation] CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Trainer, $"/v2/jobs/{Uri.EscapeDataString(id)}/events"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var r = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        await StreamClient.EnsureSuccess(r, cancel).ConfigureAwait(false);
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false));
        var data = new System.Text.StringBuilder();
        while (await reader.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            // SSE: "data:" lines accumulate, a blank line ends the event; "event:" and comments are not needed (the JSON says its type).
            if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line.AsSpan(5).TrimStart(' '));
            else if (line.Length == 0 && data.Length > 0)
            {
                var e = JsonSerializer.Deserialize<JobEvent>(data.ToString(), StreamClient.Json) ?? throw new InvalidDataException($"{Trainer}: job {id} sent a null event");
                data.Clear();
                yield return e;
                if (e.Job is { } job && JobStates.IsFinal(job.State)) yield break;
            }
        }
    }

    /// <summary>Follows a job's events until it ends (or the trainer stops); its state then. <paramref name="progress"/> sees each event.</summary>
    public async Task<JobInfo> WaitAsync(string id, IProgress<JobEvent>? progress, CancellationToken cancel)
    {
        await foreach (var e in EventsAsync(id, cancel).ConfigureAwait(false)) progress?.Report(e);
        return await JobAsync(id, cancel).ConfigureAwait(false);
    }

    private Uri JobUri(string id) => new(Trainer, $"/v2/jobs/{Uri.EscapeDataString(id)}");

    private async Task<T> Read<T>(HttpResponseMessage r, string what, CancellationToken cancel)
    {
        await StreamClient.EnsureSuccess(r, cancel).ConfigureAwait(false);
        return await r.Content.ReadFromJsonAsync<T>(StreamClient.Json, cancel).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{Trainer}: {what} answered nothing");
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
