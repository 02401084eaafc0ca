using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Serve;
using HybridSpike.Host.Tests.Serve;
using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Tests.Trainer;

/// <summary>
/// One tiny job end to end, run once for the tests that read it: submitted to an in-process trainer whose --url is an
/// in-process serve, its events followed from the start, trained (2 epochs of 2 batches), exported and deployed.
/// </summary>
public sealed class DeployedJobFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-trainer-job-").FullName;
    private ServeApp? _serve;

    internal TrainerApp Trainer { get; private set; } = null!;

    internal TrainerClient Client { get; private set; } = null!;

    public JobInfo Submitted { get; private set; } = null!;

    public List<JobEvent> Events { get; private set; } = null!;

    public JobInfo Final { get; private set; } = null!;

    public IReadOnlyList<ModelVersionInfo> Models { get; private set; } = null!;

    public string ServeAddress => _serve!.Addresses[0];

    public string Dir => _dir;

    public async Task InitializeAsync()
    {
        _serve = await ServeTestKit.StartAsync(TestArtifacts.SmallPsMnist(Directory.CreateDirectory(Path.Combine(_dir, "v1")).FullName), 2, 60, null, TextWriter.Null);
        Trainer = await TrainerTestKit.StartAsync(Path.Combine(_dir, "jobs"), new Uri(ServeAddress));
        Client = new TrainerClient(new Uri(Trainer.Addresses[0]));
        Submitted = await Client.SubmitAsync(TrainerTestKit.Tiny(epochs: 2), CancellationToken.None);
        Events = await TrainerTestKit.EventsAsync(Client, Submitted.Id, TimeSpan.FromMinutes(3));
        Final = await Client.JobAsync(Submitted.Id, CancellationToken.None);
        using var serving = new StreamClient(new Uri(ServeAddress));
        Models = await serving.ModelsAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Trainer is not null) await Trainer.DisposeAsync();
        if (_serve is not null) await _serve.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>A job's life in the trainer: its events, its files, its deployment, and the job command's view of it.</summary>
public sealed class TrainerJobTests(DeployedJobFixture job) : IClassFixture<DeployedJobFixture>
{
    private IEnumerable<JobProgress> Progress => job.Events.Select(e => e.Progress).OfType<JobProgress>();

    [Fact]
    public void A_submitted_job_is_answered_queued()
    {
        Assert.Equal(JobState.Queued, job.Submitted.State);
    }

    [Fact]
    public void Its_events_report_every_batch_of_every_epoch_in_order()
    {
        Assert.Equal([(1, 1), (1, 2), (2, 1), (2, 2)], Progress.Select(p => (p.Epoch, p.Batch)));
    }

    [Fact]
    public void Its_progress_events_carry_loss_accuracy_and_the_hidden_omega()
    {
        var last = Progress.Last();
        Assert.InRange(last.Loss, 1e-6, 100.0);   // NaN is outside every range
        Assert.InRange(last.Accuracy, 0.0, 1.0);
        Assert.Contains("hidden", last.Omega.Keys);
    }

    [Fact]
    public void Its_events_end_with_the_succeeded_state()
    {
        Assert.Equal(JobState.Succeeded, job.Events[^1].Job?.State);
    }

    [Fact]
    public void It_succeeds_with_both_epochs_in_its_history()
    {
        Assert.Equal(JobState.Succeeded, job.Final.State);
        Assert.Equal([1, 2], job.Final.History.Select(h => h.Epoch));
    }

    [Fact]
    public void It_writes_its_checkpoint_and_artifact_in_its_folder()
    {
        Assert.Equal(Path.Combine(job.Final.Folder, "checkpoint.hsckpt"), job.Final.Checkpoint);
        Assert.True(File.Exists(job.Final.Checkpoint), job.Final.Checkpoint);
        Assert.Equal(Path.Combine(job.Final.Folder, "model.hsa"), job.Final.Artifact);
        Assert.True(File.Exists(job.Final.Artifact), job.Final.Artifact);
    }

    [Fact]
    public void The_service_serves_the_deployed_artifact()
    {
        var digest = ArtifactFile.ReadWithDigest(job.Final.Artifact!).Digest;
        Assert.Equal(digest, job.Final.Deployed?.Digest);
        Assert.Equal(digest, job.Models[0].Digest);
    }

    [Fact]
    public void Its_job_json_on_disk_says_succeeded()
    {
        var onDisk = JsonSerializer.Deserialize<JobInfo>(File.ReadAllText(Path.Combine(job.Final.Folder, "job.json")), StreamClient.Json)!;
        Assert.Equal(JobState.Succeeded, onDisk.State);
        Assert.Equal(job.Final.Deployed?.Version, onDisk.Deployed?.Version);
    }

    [Fact]
    public async Task A_late_client_gets_the_whole_history()
    {
        var again = await TrainerTestKit.EventsAsync(job.Client, job.Submitted.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(job.Events.Select(e => (e.Type, e.Progress?.Epoch, e.Progress?.Batch, e.Job?.State)), again.Select(e => (e.Type, e.Progress?.Epoch, e.Progress?.Batch, e.Job?.State)));
    }

    [Fact]
    public void Job_status_prints_its_state_and_deployment()
    {
        var r = CliRunner.Run("job", "status", "--url", job.Trainer.Addresses[0], "--id", job.Submitted.Id);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"job {job.Submitted.Id} succeeded", r.Output);
        Assert.Contains($"serving {job.Final.Deployed!.Name} version {job.Final.Deployed.Version}", r.Output);
    }

    [Fact]
    public async Task A_job_whose_service_is_not_there_succeeds_and_says_why_it_was_not_deployed()
    {
        var submitted = await job.Client.SubmitAsync(TrainerTestKit.Tiny(epochs: 1, trainLimit: 100, url: "http://127.0.0.1:1"), CancellationToken.None);
        await TrainerTestKit.EventsAsync(job.Client, submitted.Id, TimeSpan.FromMinutes(2));
        var ended = await job.Client.JobAsync(submitted.Id, CancellationToken.None);
        Assert.Equal(JobState.Succeeded, ended.State);
        Assert.Null(ended.Deployed);
        Assert.Contains("no service answers at --deploy http://127.0.0.1:1/", ended.DeployError);
        Assert.True(File.Exists(ended.Artifact), ended.Artifact);
    }

    [Fact]
    public void Job_submit_wait_follows_a_job_to_its_end_and_exits_0()
    {
        var config = Path.Combine(job.Dir, "tiny-cli.json");
        File.Copy(Path.Combine(TrainerTestKit.RepoRoot(), "configs", "hslmu-tiny.json"), config, overwrite: true);
        var r = CliRunner.Run("job", "submit", "--url", job.Trainer.Addresses[0], "--config", config, "--epochs", "1", "--train-limit", "100", "--wait", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var ended = JsonSerializer.Deserialize<JobInfo>(r.Output, StreamClient.Json)!;
        Assert.Equal(JobState.Succeeded, ended.State);
        Assert.Contains("epoch 1/1 batch 1/1", r.Error);
    }
}
