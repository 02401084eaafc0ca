using System.Diagnostics;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Tests;

/// <summary>A tiny trained run (checkpoint and artifact), trained once for the tests that need both.</summary>
public sealed class TinyTrainedRun : IDisposable
{
    public string Folder { get; }

    public TinyTrainedRun()
    {
        var dir = Directory.CreateTempSubdirectory("hs-tiny-run-").FullName;
        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, """
            {
              "name": "interrupt-tiny",
              "model": { "lmu": { "order": 16, "hidden": 24, "weights": { "hiddenKernel": false },
                                  "hiddenQuantizer": { "enabled": true, "omegaStart": 100, "omegaEnd": 4 } } },
              "training": { "epochs": 1, "batchSize": 50, "maxBatchesPerEpoch": 2 },
              "data": { "trainLimit": 100, "testLimit": 50 }
            }
            """);
        Folder = Path.Combine(dir, "run");
        var r = CliRunner.Run("train", "--config", config, "--out", Folder, "--json");
        if (r.ExitCode != 0) throw new InvalidOperationException("training the tiny run failed: " + r.Error);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(Folder)!, recursive: true);
}

/// <summary>
/// Ctrl-C and SIGTERM in the commands that have nothing to save: each says it was interrupted and that nothing was
/// written, and exits 130 or 143, instead of dying silently. Real processes, signalled once their work has started.
/// </summary>
public sealed class InterruptTests(TinyTrainedRun run) : IClassFixture<TinyTrainedRun>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-interrupt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Starts the command, waits for the line saying its work started, sends <paramref name="signal"/>.</summary>
    private static async Task<CliResult> Interrupt(string signal, params string[] args)
    {
        using var p = CliRunner.StartProcess(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        var started = new TaskCompletionSource();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("Ctrl-C stops")) started.TrySetResult();
        };
        p.BeginErrorReadLine();
        try
        {
            await Task.WhenAny(started.Task, p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(started.Task.IsCompleted, $"{args[0]} did not start its work: {stderr}");
            using (var kill = Process.Start("kill", [signal, p.Id.ToString()])) kill.WaitForExit();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{args[0]} did not end within 60 s of {signal}");
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
        p.WaitForExit();
        var output = await stdout;
        lock (stderr) return new CliResult(p.ExitCode, output, stderr.ToString());
    }

    /// <summary>An artifact big enough that evaluating all 2,000 test digits takes tens of seconds.</summary>
    private string SlowArtifact() => TestArtifacts.PsMnist(_dir, 256, 1.0, 1.0);

    [Fact]
    public async Task Eval_interrupted_by_ctrl_c_says_so_and_exits_130()
    {
        var r = await Interrupt("-INT", "eval", "--model", SlowArtifact(), "--json");
        Assert.Equal(CtrlC.Interrupted, r.ExitCode);
        Assert.Contains("eval: interrupted by Ctrl-C; nothing was written", r.Error);
        Assert.Equal("", r.Output);
    }

    [Fact]
    public async Task Compile_interrupted_by_SIGTERM_while_measuring_says_so_and_exits_143()
    {
        var r = await Interrupt("-TERM", "compile", "--model", SlowArtifact(), "--samples", "2000");
        Assert.Equal(CtrlC.Terminated, r.ExitCode);
        Assert.Contains("compile: interrupted by SIGTERM; nothing was written", r.Error);
    }

    [Fact]
    public async Task Verify_interrupted_by_ctrl_c_says_so_and_exits_130()
    {
        var r = await Interrupt("-INT", "verify", "--model", run.Folder, "--limit", "0");
        Assert.Equal(CtrlC.Interrupted, r.ExitCode);
        Assert.Contains("verify: interrupted by Ctrl-C; nothing was written", r.Error);
    }

    [Fact]
    public void Verify_in_batches_gives_the_report_of_one_batch()
    {
        var whole = VerifyService.Verify(run.Folder, 30, 30, TextWriter.Null, CancellationToken.None);
        var batched = VerifyService.Verify(run.Folder, 30, 7, TextWriter.Null, CancellationToken.None);
        // Float64 and the golden model are exact whatever the batch; float32 may round differently in another
        // batch shape (libtorch picks its kernels by shape), so its counts are not compared here.
        Assert.Equal(30, batched.Samples);
        Assert.Equal(whole.Populations.Select(p => (p.Population, p.Counts, p.Float64Differences)), batched.Populations.Select(p => (p.Population, p.Counts, p.Float64Differences)));
        Assert.Equal(whole.PredictionsFloat64Differ, batched.PredictionsFloat64Differ);
        Assert.Equal(whole.GoldenAccuracy, batched.GoldenAccuracy);
    }
}
