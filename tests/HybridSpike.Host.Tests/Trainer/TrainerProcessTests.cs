using HybridSpike.Core.Serving;
using HybridSpike.Host.Tests.Serve;

namespace HybridSpike.Host.Tests.Trainer;

/// <summary><c>hybridspike trainer</c> as a process of its own on a free loopback port (ended only by its id).</summary>
internal sealed class TrainerProcess : IDisposable
{
    private readonly RunningProcess _running;

    private TrainerProcess(RunningProcess running, Uri @base)
    {
        _running = running;
        Base = @base;
    }

    public Uri Base { get; }

    public System.Diagnostics.Process Process => _running.Process;

    public string Error => _running.Error;

    /// <summary>Starts <c>trainer --jobs <paramref name="jobs"/></c> and waits until it listens.</summary>
    public static async Task<TrainerProcess> StartAsync(string jobs)
    {
        int port = RunningProcess.FreePort();
        var p = new TrainerProcess(RunningProcess.Start("trainer", "--urls", $"http://127.0.0.1:{port}", "--jobs", jobs), new Uri($"http://127.0.0.1:{port}"));
        try { await p._running.WaitForLineAsync(l => l.StartsWith("trainer: ", StringComparison.Ordinal) && l.EndsWith("Ctrl-C stops", StringComparison.Ordinal), TimeSpan.FromSeconds(60)); }
        catch { p.Dispose(); throw; }
        return p;
    }

    /// <summary>The files mapped into the process (/proc/PID/maps): .NET maps every assembly it loads, and the loader every native library.</summary>
    public string[] MappedFiles() => ProcMaps.Files(Process.Id);

    public void Signal(string signal) => _running.Signal(signal);

    public bool WaitForExit(TimeSpan timeout) => _running.WaitForExit(timeout);

    public void Dispose() => _running.Dispose();
}

/// <summary>The files a process maps, from /proc/PID/maps.</summary>
internal static class ProcMaps
{
    public static string[] Files(int pid) =>
        [.. File.ReadAllLines($"/proc/{pid}/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].StartsWith('/')).Select(f => f[5].Trim()).Distinct()];

    public static bool Maps(string[] files, string namePrefix) =>
        files.Any(f => Path.GetFileName(f).StartsWith(namePrefix, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A trainer process stopped by Ctrl-C once its job is in its second epoch, then a new trainer on the same folder, run once for
/// the tests that read them: what the first one mapped and left on disk, and how the second one finished the job.
/// </summary>
public sealed class RestartedTrainerFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-trainer-restart-").FullName;

    /// <summary>The job.s epochs: enough that Ctrl-C in the second cannot come after the last.</summary>
    public const int Epochs = 12;

    private string Jobs => Path.Combine(_dir, "jobs");

    public string[] Mapped { get; private set; } = [];

    public int FirstExitCode { get; private set; }

    /// <summary>The second trainer's exit code after SIGTERM; null if it did not stop within 30 s.</summary>
    public int? SecondExitCode { get; private set; }

    public JobInfo AfterCtrlC { get; private set; } = null!;

    public List<JobEvent> SecondEvents { get; private set; } = null!;

    public JobInfo Final { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string id;
        using (var first = await TrainerProcess.StartAsync(Jobs))
        {
            using var client = new TrainerClient(first.Base);
            // 4 batches an epoch, a tenth of a second each on a fast machine: Ctrl-C on the second epoch.s first batch
            // stops the job somewhere in its next epochs, never after its last (it did with 2 epochs, on a fast CI machine).
            id = (await client.SubmitAsync(TrainerTestKit.Tiny(epochs: Epochs, trainLimit: 400), CancellationToken.None)).Id;
            await TrainerTestKit.FirstAsync(client, id, e => e.Progress is { Epoch: 1 }, TimeSpan.FromMinutes(2));
            Mapped = first.MappedFiles();
            await TrainerTestKit.FirstAsync(client, id, e => e.Progress is { Epoch: 2 }, TimeSpan.FromMinutes(2));
            first.Signal("INT");
            Assert.True(first.WaitForExit(TimeSpan.FromSeconds(60)), $"the trainer did not stop after Ctrl-C; stderr:\n{first.Error}");
            FirstExitCode = first.Process.ExitCode;
        }
        AfterCtrlC = System.Text.Json.JsonSerializer.Deserialize<JobInfo>(File.ReadAllText(Path.Combine(Jobs, id, "job.json")), StreamClient.Json)!;
        using var second = await TrainerProcess.StartAsync(Jobs);
        using (var client = new TrainerClient(second.Base))
        {
            SecondEvents = await TrainerTestKit.EventsAsync(client, id, TimeSpan.FromMinutes(2));
            Final = await client.JobAsync(id, CancellationToken.None);
        }
        second.Signal("TERM");
        if (second.WaitForExit(TimeSpan.FromSeconds(30))) SecondExitCode = second.Process.ExitCode;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A job survives Ctrl-C and a restart of the trainer; the trainer maps libtorch and never Akka.NET.</summary>
[Collection(ProcessTests.Name)]
public sealed class TrainerProcessTests(RestartedTrainerFixture run) : IClassFixture<RestartedTrainerFixture>
{
    [Fact]
    public void Ctrl_c_stops_the_trainer_with_exit_130()
    {
        Assert.Equal(CtrlC.Interrupted, run.FirstExitCode);
    }

    [Fact]
    public void Sigterm_stops_the_trainer_with_exit_0()
    {
        Assert.Equal(0, run.SecondExitCode);
    }

    [Fact]
    public void After_ctrl_c_the_job_stays_queued_on_disk_with_its_checkpoint()
    {
        Assert.Equal(JobState.Queued, run.AfterCtrlC.State);
        Assert.True(File.Exists(Path.Combine(run.AfterCtrlC.Folder, "checkpoint.hsckpt")));
    }

    [Fact]
    public void The_new_trainer_resumes_it_after_its_first_epoch_and_before_its_last()
    {
        var resumed = Assert.Single(run.Final.Resumed);
        Assert.InRange(resumed.Epoch, 2, RestartedTrainerFixture.Epochs);
        Assert.InRange(resumed.Batch, 0, 3);
    }

    [Fact]
    public void The_new_trainer_trains_no_batch_of_the_first_epoch_again()
    {
        var progress = run.SecondEvents.Select(e => e.Progress).OfType<JobProgress>().ToList();
        Assert.NotEmpty(progress);
        var resumed = run.Final.Resumed[0];
        Assert.All(progress, p => Assert.True(p.Epoch >= resumed.Epoch, $"epoch {p.Epoch} trained again after resuming in epoch {resumed.Epoch}"));
        Assert.Equal((resumed.Epoch, resumed.Batch + 1), (progress[0].Epoch, progress[0].Batch));
    }

    [Fact]
    public void The_resumed_job_succeeds_with_every_epoch_and_an_artifact()
    {
        Assert.Equal(JobState.Succeeded, run.Final.State);
        Assert.Equal(Enumerable.Range(1, RestartedTrainerFixture.Epochs), run.Final.History.Select(h => h.Epoch));
        Assert.True(File.Exists(run.Final.Artifact), run.Final.Artifact);
    }

    [Fact]
    public void The_trainer_maps_its_own_assemblies_and_libtorch()
    {
        // The check below is not vacuous: managed assemblies do show in the maps.
        Assert.True(ProcMaps.Maps(run.Mapped, "hybridspike.dll"), string.Join('\n', run.Mapped));
        Assert.True(ProcMaps.Maps(run.Mapped, "HybridSpike.Training.dll"), string.Join('\n', run.Mapped));
        Assert.True(ProcMaps.Maps(run.Mapped, "libtorch"), string.Join('\n', run.Mapped));
    }

    [Fact]
    public void The_trainer_maps_no_akka_assembly()
    {
        Assert.DoesNotContain(run.Mapped, f => Path.GetFileName(f).StartsWith("Akka", StringComparison.OrdinalIgnoreCase));
    }
}
