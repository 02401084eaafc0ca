using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridSpike.Core.Serving;

/// <summary>
/// The training service's messages (<c>hybridspike trainer</c>, docs/trainer.md). <c>POST /v2/jobs</c> takes a
/// <see cref="JobSubmission"/> and answers a <see cref="JobInfo"/>; <c>GET /v2/jobs/{id}/events</c> sends
/// <see cref="JobEvent"/>s as server-sent events.
/// </summary>
/// <param name="Config">A training config object, exactly as a file of configs/ holds it.</param>
/// <param name="Epochs">Overrides training.epochs (as <c>train --epochs</c>).</param>
/// <param name="TrainLimit">Overrides data.trainLimit (as <c>demo --train-limit</c>).</param>
/// <param name="TestLimit">Overrides data.testLimit.</param>
/// <param name="Deploy">Deploy the artifact at the end: null deploys when an address is known (<paramref name="Url"/> or the trainer's --url), false never, true requires one.</param>
/// <param name="Url">The inference service to deploy to, in place of the trainer's --url.</param>
public sealed record JobSubmission(JsonElement Config, int? Epochs = null, int? TrainLimit = null, int? TestLimit = null, bool? Deploy = null, string? Url = null);

/// <summary>Where a job is. A job interrupted by the trainer's Ctrl-C goes back to <see cref="Queued"/>: it resumes from its checkpoint when a trainer starts on its folder.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>Whether a job is finished for good.</summary>
public static class JobStates
{
    public static bool IsFinal(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}

/// <summary>One progress report of the training loop: after every batch.</summary>
public sealed record JobProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, IReadOnlyDictionary<string, double> Omega);

/// <summary>A finished epoch: its training and test loss and accuracy, and ω at its end.</summary>
public sealed record JobEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, IReadOnlyDictionary<string, double> Omega);

/// <summary>Where a run continued from its checkpoint: the epoch (1-based) and the batches of it already done.</summary>
public sealed record JobResume(int Epoch, int Batch);

/// <summary>
/// A job as the trainer keeps it (its job.json) and answers it.
/// </summary>
/// <param name="Name">The config's name.</param>
/// <param name="Folder">Its folder: config.json, job.json, the checkpoint, history, metrics and the artifact.</param>
/// <param name="Epoch">The epoch it is in (or ended in); 0 before the first batch.</param>
/// <param name="Last">The last progress report; null before the first batch.</param>
/// <param name="History">Every finished epoch.</param>
/// <param name="Resumed">Each time it continued from its checkpoint (after a trainer's restart).</param>
/// <param name="DeployTo">The service it deploys to at the end; null for none.</param>
/// <param name="Deployed">What that service serves after taking the artifact.</param>
/// <param name="DeployError">Why the deployment failed (the job still succeeded: its artifact is kept).</param>
/// <param name="Error">Why the job failed.</param>
public sealed record JobInfo(
    string Id,
    string Name,
    JobState State,
    DateTimeOffset Submitted,
    string Folder,
    int Epoch,
    int Epochs,
    JobProgress? Last,
    IReadOnlyList<JobEpoch> History,
    IReadOnlyList<JobResume> Resumed,
    string? Checkpoint,
    string? Artifact,
    string? DeployTo,
    ModelVersionInfo? Deployed,
    string? DeployError,
    string? Error);

/// <summary>
/// One server-sent event of a job: <c>progress</c> (<see cref="Progress"/>, one a batch) or <c>state</c> (<see cref="Job"/>,
/// at every change of state; the last one of a stream says how the job ended, or <c>queued</c> if the trainer stopped).
/// </summary>
public sealed record JobEvent(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobProgress? Progress = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JobInfo? Job = null)
{
    public static JobEvent Of(JobProgress progress) => new("progress", Progress: progress);

    public static JobEvent Of(JobInfo job) => new("state", Job: job);
}
