using System.Net;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Tests.Trainer;

/// <summary>
/// A trainer with room for one waiting job, run once for the tests that read it: job A runs (50 epochs, far more than
/// the test waits for), B waits, C is refused; then B and A are cancelled.
/// </summary>
public sealed class CancelledJobsFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-trainer-cancel-").FullName;
    private TrainerApp? _trainer;
    private TrainerClient? _client;

    public JobInfo CancelledB { get; private set; } = null!;

    public JobInfo FinalA { get; private set; } = null!;

    public JobInfo FinalB { get; private set; } = null!;

    public StreamServiceException? Refused { get; private set; }

    public StreamServiceException? CancelledAgain { get; private set; }

    public List<JobEvent> EventsA { get; private set; } = null!;

    /// <summary>GET /v2/jobs's ids, and the ids of B and A (submitted in that order: A first).</summary>
    public (IReadOnlyList<string> Listed, IReadOnlyList<string> NewestFirst) Jobs { get; private set; }

    public async Task InitializeAsync()
    {
        _trainer = await TrainerTestKit.StartAsync(Path.Combine(_dir, "jobs"), maxQueued: 1);
        _client = new TrainerClient(new Uri(_trainer.Addresses[0]));
        var a = await _client.SubmitAsync(TrainerTestKit.Tiny(epochs: 50), CancellationToken.None);
        await TrainerTestKit.FirstAsync(_client, a.Id, e => e.Progress is not null, TimeSpan.FromMinutes(2));
        var b = await _client.SubmitAsync(TrainerTestKit.Tiny(epochs: 1), CancellationToken.None);
        try { await _client.SubmitAsync(TrainerTestKit.Tiny(epochs: 1), CancellationToken.None); }
        catch (StreamServiceException e) { Refused = e; }
        CancelledB = await _client.CancelAsync(b.Id, CancellationToken.None);
        await _client.CancelAsync(a.Id, CancellationToken.None);
        EventsA = await TrainerTestKit.EventsAsync(_client, a.Id, TimeSpan.FromMinutes(2));
        FinalA = await _client.JobAsync(a.Id, CancellationToken.None);
        FinalB = await _client.JobAsync(b.Id, CancellationToken.None);
        try { await _client.CancelAsync(a.Id, CancellationToken.None); }
        catch (StreamServiceException e) { CancelledAgain = e; }
        Jobs = ([.. (await _client.JobsAsync(CancellationToken.None)).Select(j => j.Id)], [b.Id, a.Id]);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_trainer is not null) await _trainer.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The bounded queue and DELETE /v2/jobs/{id}.</summary>
public sealed class TrainerCancelTests(CancelledJobsFixture run) : IClassFixture<CancelledJobsFixture>
{
    [Fact]
    public void A_job_past_the_queue_bound_is_429_with_retry_after()
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, run.Refused?.Status);
        Assert.Equal(TimeSpan.FromSeconds(TrainerApp.RetryAfterSeconds), run.Refused?.RetryAfter);
    }

    [Fact]
    public void A_queued_job_is_cancelled_at_once_and_never_runs()
    {
        Assert.Equal(JobState.Cancelled, run.CancelledB.State);
        Assert.Null(run.FinalB.Last);
    }

    [Fact]
    public void A_running_job_ends_cancelled_before_its_last_epoch()
    {
        Assert.Equal(JobState.Cancelled, run.FinalA.State);
        Assert.InRange(run.FinalA.Epoch, 1, 49);
    }

    [Fact]
    public void A_cancelled_running_job_keeps_its_checkpoint_and_has_no_artifact()
    {
        Assert.True(File.Exists(run.FinalA.Checkpoint), run.FinalA.Checkpoint);
        Assert.Null(run.FinalA.Artifact);
    }

    [Fact]
    public void A_cancelled_job_s_events_end_with_the_cancelled_state()
    {
        Assert.Equal(JobState.Cancelled, run.EventsA[^1].Job?.State);
    }

    [Fact]
    public void The_jobs_are_listed_newest_first()
    {
        Assert.Equal(run.Jobs.NewestFirst, run.Jobs.Listed);
    }

    [Fact]
    public void Cancelling_an_ended_job_is_409()
    {
        Assert.Equal(HttpStatusCode.Conflict, run.CancelledAgain?.Status);
    }
}
