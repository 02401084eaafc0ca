using HybridSpike.Core.Data;
using System.Text.Json;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Reports;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using Spectre.Console;

namespace HybridSpike.Host.Services;

/// <summary>Training a model (<c>hybridspike train</c>, and the demo's training step).</summary>
internal static class TrainService
{
    /// <summary>Trains (or resumes) into the request's folder; the summary goes to <paramref name="output"/>, the progress bar to <paramref name="progressTo"/> (none with --json). Returns 130 when interrupted by Ctrl-C, 143 by SIGTERM.</summary>
    public static async Task<int> RunAsync(TrainRequest request, TextWriter output, TextWriter progressTo, CancellationToken cancel)
    {
        var configPath = request.Config;
        var config = configPath is null ? new TrainingConfig() : TrainingConfig.Load(configPath);
        if (request.Epochs is { } e) config = config with { Training = config.Training with { Epochs = e } };
        config = config with { Data = request.Data.Apply(config.Data) };
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException((configPath ?? "config") + ": " + string.Join("; ", errors));

        var replace = CheckOutFolder(request.Out, request.Resume, request.Force);
        // The data is loaded and checked against the config before --force deletes anything.
        var data = SequenceData.Load(config.Data);
        if (config.ValidateAgainst(data) is { Count: > 0 } mismatches) throw new ConfigException((configPath ?? "config") + ": " + string.Join("; ", mismatches));
        foreach (var replaced in replace)
        {
            progressTo.WriteLine($"--force: deleting the earlier run's {replaced}");
            File.Delete(replaced);
        }
        using var interrupt = new CtrlC(cancel);
        var (run, trained) = await TrainAsync(config, data, request.Out, request.Resume, request.Json ? null : progressTo, interrupt.Token);
        var summary = trained;
        if (run.Interrupted) progressTo.WriteLine($"{interrupt.Signal}: saved {run.Checkpoint}; continue with --resume");
        if (request.Deploy is { } service && summary.Artifact is { } artifact)
            summary = summary with { Deployed = await DeployAsync(service, artifact, request.Out, interrupt.Token) };
        if (request.Json) Cli.WriteJson(output, summary);
        else
        {
            output.WriteLine(run.Interrupted
                ? $"interrupted: saved {run.Checkpoint}; continue with --resume"
                : $"trained {config.Name}: {run.Parameters:N0} parameters, {run.SamplesPerSecond:0} samples/s");
            foreach (var h in run.History)
                output.WriteLine($"epoch {h.Epoch,3}  train loss {h.TrainLoss:0.0000} acc {h.TrainAccuracy:P2}  test loss {h.TestLoss:0.0000} acc {h.TestAccuracy:P2}  ω {string.Join(" ", h.Omega.Select(o => $"{o.Key}={o.Value:0.###}"))}  {h.Seconds:0.0}s  RSS {h.ResidentMegabytes:0} MB (peak {h.PeakResidentMegabytes:0})");
            if (summary.Metrics is not null) { output.WriteLine(); MetricsText.Write(output, summary.Metrics); }
            if (summary.Artifact is not null) output.WriteLine($"\nartifact: {summary.Artifact}");
            if (summary.Deployed is { } d) output.WriteLine($"deployed to {request.Deploy}: serving {d.Name} version {d.Version}");
        }
        return run.Interrupted ? interrupt.ExitCode : 0;
    }

    /// <summary>
    /// The trained artifact sent to a running service (<c>--deploy</c>). A refusal or an absent service is an error that
    /// says the run itself is saved: nothing of it is lost, and <c>hybridspike deploy</c> can send it again.
    /// </summary>
    internal static async Task<Core.Serving.ModelVersionInfo> DeployAsync(Uri service, string artifact, string folder, CancellationToken cancel)
    {
        using var client = new Core.Serving.StreamClient(service);
        try { return await client.DeployAsync(await File.ReadAllBytesAsync(artifact, cancel), cancel); }
        catch (Core.Serving.StreamServiceException e)
        {
            throw new Core.Serving.StreamServiceException(e.Status, $"trained and saved in {folder}, but --deploy {service} refused {artifact}: {e.Message}", e.RetryAfter);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new IOException($"trained and saved in {folder}, but no service answers at --deploy {service} ({e.Message}); send it later with hybridspike deploy --model {artifact}", e);
        }
    }

    /// <summary>The files a training run writes into its folder.</summary>
    internal static readonly string[] RunFiles = [Checkpoint.FileName, "model.hsa", "metrics.json", "history.json"];

    /// <summary>
    /// Refuses an output folder that holds an earlier run's files, before anything is loaded or written: with
    /// --resume it must hold the checkpoint, without it nothing of a run unless --force (returns the files to
    /// delete then). Nothing else in the folder is ever touched.
    /// </summary>
    internal static IReadOnlyList<string> CheckOutFolder(string folder, bool resume, bool force)
    {
        if (resume && force) throw new ArgumentException("--resume and --force: choose one (continue the run in --out, or replace it)");
        Check.WritableFolder(folder, "--out");
        var existing = RunFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists).ToList();
        if (resume || existing.Count == 0 || force) return resume ? [] : existing;
        var names = string.Join(", ", existing.Select(Path.GetFileName));
        throw new IOException(File.Exists(Path.Combine(folder, Checkpoint.FileName))
            ? $"{folder} holds an earlier run ({names}); pass --resume to continue it, --force to replace it, or choose another --out (nothing was changed)"
            : $"{folder} holds an earlier run's {names}; pass --force to replace them, or choose another --out (nothing was changed)");
    }

    /// <summary>
    /// Trains (or resumes) <paramref name="config"/> into <paramref name="outDir"/> with a progress bar on
    /// <paramref name="progressTo"/> (none when null); a finished run then gets its metrics, metrics.json and,
    /// for an LMU, the artifact; history.json either way. Shared by train, demo and the trainer's jobs;
    /// <paramref name="observer"/> (the trainer's job events) sees every report the bar does, on the training thread.
    /// </summary>
    internal static async Task<(TrainingResult Run, TrainSummary Summary)> TrainAsync(TrainingConfig config, SequenceData data, string outDir, bool resume,
        TextWriter? progressTo, CancellationToken cancel, IProgress<TrainingProgress>? observer = null)
    {
        Directory.CreateDirectory(outDir);
        var trainer = new Training.Trainer(config, outDir);
        var run = await WithProgress(progressTo, config, (progress, ct) => trainer.RunAsync(data, resume, Both(progress, observer), ct), cancel);
        var summary = Summarize(config, data, outDir, run);
        File.WriteAllText(Path.Combine(outDir, "history.json"), JsonSerializer.Serialize(run.History, Cli.Json));
        return (run, summary);
    }

    internal sealed record TrainSummary(string Name, bool Interrupted, long Parameters, double SamplesPerSecond, string Checkpoint,
        string? Artifact, IReadOnlyList<EpochRecord> History, Core.Metrics.MetricsReport? Metrics)
    {
        /// <summary>What the service of <c>--deploy</c> serves after taking the artifact; null without --deploy.</summary>
        public Core.Serving.ModelVersionInfo? Deployed { get; init; }
    }

    /// <summary>After a finished run: final metrics, metrics.json and, for an LMU, the artifact.</summary>
    private static TrainSummary Summarize(TrainingConfig config, SequenceData data, string outDir, TrainingResult run)
    {
        if (run.Interrupted) return new TrainSummary(config.Name, true, run.Parameters, run.SamplesPerSecond, run.Checkpoint, null, run.History, null);
        using var trained = TrainedModel.Load(run.Checkpoint);
        var (eval, artifact) = trained.Finish(data, outDir); // record deconstruction
        File.WriteAllText(Path.Combine(outDir, "metrics.json"), JsonSerializer.Serialize(new { eval.Result, eval.Metrics }, Cli.Json));
        return new TrainSummary(config.Name, false, run.Parameters, run.SamplesPerSecond, run.Checkpoint, artifact, run.History, eval.Metrics);
    }

    private static IProgress<TrainingProgress>? Both(IProgress<TrainingProgress>? a, IProgress<TrainingProgress>? b) =>
        a is null ? b : b is null ? a : new BothProgress(a, b);

    private sealed class BothProgress(IProgress<TrainingProgress> a, IProgress<TrainingProgress> b) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) { a.Report(value); b.Report(value); }
    }

    /// <summary>A Spectre progress bar (epoch, batch, loss, accuracy, ω) on <paramref name="progressTo"/> unless null; cancelling (the caller's <see cref="CtrlC"/> scope) makes the trainer save.</summary>
    private static async Task<TrainingResult> WithProgress(TextWriter? progressTo, TrainingConfig config, Func<IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>> run, CancellationToken cancel)
    {
        return await ProgressBar.RunAsync(progressTo, config.Name, async task =>
        {
            var progress = task is null ? null : new Progress<TrainingProgress>(p =>
            {
                task.MaxValue = (double)p.Epochs * p.BatchesPerEpoch;
                task.Value = (double)(p.Epoch - 1) * p.BatchesPerEpoch + p.Batch;
                var omega = string.Join(" ", p.Omega.Select(o => $"ω_{o.Key}={o.Value:0.##}"));
                task.Description = $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.BatchesPerEpoch} loss {p.Loss:0.000} acc {p.Accuracy:P1} {omega}".EscapeMarkup();
            });
            return await run(progress, cancel);
        });
    }
}
