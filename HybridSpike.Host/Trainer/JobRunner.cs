using System.Threading.Channels;
using HybridSpike.Core.Data;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Services;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using Microsoft.Extensions.Logging;

namespace HybridSpike.Host.Trainer;

/// <summary>
/// Runs the trainer's jobs one at a time (training takes every core), in submission order, on the same training code
/// as <c>train</c> (<see cref="TrainService.TrainAsync"/>): a job resumes from the checkpoint in its folder when there
/// is one, exports its artifact, and deploys it as <c>train --deploy</c> does. Stopping (the trainer's Ctrl-C) makes
/// the running job save at its next batch and go back to queued, to resume when a trainer starts on the folder again.
/// </summary>
internal sealed class JobRunner
{
    private readonly JobStore _store;
    private readonly ILogger _log;
    private readonly int _maxQueued;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private int _queued;
    private Task _loop = Task.CompletedTask;

    public JobRunner(JobStore store, int maxQueued, ILogger log)
    {
        _store = store;
        _maxQueued = maxQueued;
        _log = log;
    }

    /// <summary>Jobs waiting to run (not the running one).</summary>
    public int Queued => Volatile.Read(ref _queued);

    public bool Stopping => _stop.IsCancellationRequested;

    /// <summary>Starts the loop with the unfinished jobs of the folder first (a job that was running when its trainer died runs again, from its checkpoint).</summary>
    public void Start(IEnumerable<Job> unfinished)
    {
        foreach (var job in unfinished.OrderBy(j => j.Info.Submitted).ThenBy(j => j.Id, StringComparer.Ordinal))
        {
            if (job.Info.State == JobState.Running) job.Update(i => i with { State = JobState.Queued });
            Interlocked.Increment(ref _queued);
            _queue.Writer.TryWrite(job);
        }
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Takes a place in the bounded queue for a job about to be made; false when the queue is full (answered 429).</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _queued) <= _maxQueued) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Queues a job made after <see cref="TryReserve"/>.</summary>
    public void Enqueue(Job job) => _queue.Writer.TryWrite(job);

    /// <summary>A reservation given back (the job could not be made).</summary>
    public void Release() => Interlocked.Decrement(ref _queued);

    /// <summary>Stops: the running job saves at its next batch and stays queued on disk; every event stream ends.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        foreach (var job in _store.All()) job.EndStreams();
    }

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _queued);
                await RunAsync(job).ConfigureAwait(false);
                if (_stop.IsCancellationRequested) break;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    private async Task RunAsync(Job job)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        if (!job.TryStart(running)) return;
        var folder = job.Info.Folder;
        _log.LogInformation("job {JobId} running: {Name} in {Folder}", job.Id, job.Info.Name, folder);
        try
        {
            var config = TrainingConfig.Load(job.ConfigPath);
            var data = SequenceData.Load(config.Data);
            if (config.ValidateAgainst(data) is { Count: > 0 } mismatches) throw new ConfigException($"{job.ConfigPath}: " + string.Join("; ", mismatches));
            var checkpoint = Path.Combine(folder, Checkpoint.FileName);
            bool resume = File.Exists(checkpoint);
            if (resume)
            {
                var saved = Checkpoint.ReadState(checkpoint);
                var from = new JobResume(saved.Epoch + 1, saved.BatchInEpoch);
                var finished = saved.History.Select(Epoch).ToList();
                job.Update(i => i with { Resumed = [.. i.Resumed, from], History = finished, Checkpoint = checkpoint });
                _log.LogInformation("job {JobId} resumes from its checkpoint at epoch {Epoch}, batch {Batch}", job.Id, from.Epoch, from.Batch);
            }
            var (run, summary) = await TrainService.TrainAsync(config, data, folder, resume, null, running.Token, new Observer(job)).ConfigureAwait(false);
            var history = run.History.Select(Epoch).ToList();
            if (run.Interrupted)
            {
                var state = job.CancelRequested ? JobState.Cancelled : JobState.Queued;
                job.Update(i => i with { State = state, History = history, Checkpoint = run.Checkpoint });
                _log.LogInformation("job {JobId} {State}: stopped at its next batch and saved {Checkpoint}", job.Id, state, run.Checkpoint);
                return;
            }
            job.Update(i => i with { History = history, Checkpoint = run.Checkpoint, Artifact = summary.Artifact });
            var (deployed, deployError) = await DeployAsync(job, summary.Artifact).ConfigureAwait(false);
            var done = job.Update(i => i with { State = JobState.Succeeded, Deployed = deployed, DeployError = deployError });
            _log.LogInformation("job {JobId} succeeded: artifact {Artifact}, deployed {Version}, deploy error {DeployError}", job.Id, done.Artifact, deployed?.Version, deployError);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            // Its folder keeps what it had (the last good checkpoint among it); the error says what went wrong.
            job.Update(i => i with { State = JobState.Failed, Error = e.Message });
            _log.LogWarning("job {JobId} failed: {Error}", job.Id, e.Message);
        }
        catch (OperationCanceledException)
        {
            job.Update(i => i with { State = JobState.Queued });
        }
        finally
        {
            job.Stopped();
        }
    }

    private static JobEpoch Epoch(EpochRecord h) => new(h.Epoch, h.TrainLoss, h.TrainAccuracy, h.TestLoss, h.TestAccuracy, h.Omega);

    /// <summary>The artifact sent to the job's service the way <c>train --deploy</c> sends it; a failure is the job's deploy error, not its failure (the artifact is kept).</summary>
    private async Task<(ModelVersionInfo? Deployed, string? Error)> DeployAsync(Job job, string? artifact)
    {
        if (job.Info.DeployTo is not { } to) return (null, null);
        if (artifact is null) return (null, $"a {job.Info.Name} model has no artifact to deploy (only an LMU exports one)");
        try
        {
            return (await TrainService.DeployAsync(new Uri(to), artifact, job.Info.Folder, _stop.Token).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is StreamServiceException or IOException or HttpRequestException or OperationCanceledException or InvalidDataException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The training loop's reports as the job's progress events, on the training thread (in order).</summary>
    private sealed class Observer(Job job) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => job.Report(new JobProgress(p.Epoch, p.Epochs, p.Batch, p.BatchesPerEpoch, p.Loss, p.Accuracy, p.Omega));
    }
}
