using HybridSpike.Core.Data;
using System.CommandLine;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Reports;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using Spectre.Console;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike train</c> and <c>hybridspike eval</c>.</summary>
internal static class TrainCommands
{
    public static Command BuildTrain()
    {
        var cmd = new Command("train", "Train a model (LMU, hsLMU, LSTM or GRU) on psMNIST-style sequences; checkpoints every epoch, exports the artifact");
        var config = new Option<string?>("--config") { Description = "Training config (JSON); defaults reproduce the LMU paper's psMNIST setup" };
        var data = DataCommands.DatasetOptions.Create();
        data.Dataset.DefaultValueFactory = null;
        var epochs = new Option<int?>("--epochs") { Description = "Override training.epochs" };
        var output = new Option<string>("--out") { Description = "Output directory (checkpoint, history, metrics, artifact)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out" };
        var json = Cli.JsonOption();
        cmd.Options.Add(config); data.AddTo(cmd); cmd.Options.Add(epochs); cmd.Options.Add(output); cmd.Options.Add(resume); cmd.Options.Add(json);
        cmd.SetAction((result, cancel) => Train(result.GetValue(config), result.GetValue(data.Dataset), result.GetValue(data.DataDir), result.GetValue(epochs),
            result.GetValue(output)!, result.GetValue(resume), result.GetValue(json), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
        return cmd;
    }

    public static Command BuildEval()
    {
        var cmd = new Command("eval", "Evaluate a checkpoint (TorchSharp) or an artifact (golden simulator) on a test split and print its metrics");
        var model = new Option<string>("--model") { Description = "A training output directory, a checkpoint (.hsckpt) or an artifact (.hsa)", Required = true };
        var data = DataCommands.DatasetOptions.Create();
        data.Dataset.DefaultValueFactory = null;
        var limit = new Option<int>("--limit") { Description = "Evaluate only the first N test sequences (0 = all)" };
        var json = Cli.JsonOption();
        cmd.Options.Add(model); data.AddTo(cmd); cmd.Options.Add(limit); cmd.Options.Add(json);
        cmd.SetAction((result, cancel) => Task.FromResult(Eval(result.GetValue(model)!, result.GetValue(data.Dataset), result.GetValue(data.DataDir),
            result.GetValue(limit), result.GetValue(json), result.InvocationConfiguration.Output, cancel)));
        return cmd;
    }

    private static async Task<int> Train(string? configPath, string? dataset, string? dataDir, int? epochs, string outDir, bool resume, bool json, TextWriter output, TextWriter progressTo, CancellationToken cancel)
    {
        var config = configPath is null ? new TrainingConfig() : TrainingConfig.Load(configPath);
        if (epochs is { } e) config = config with { Training = config.Training with { Epochs = e } };
        if (dataset is not null) config = config with { Data = config.Data with { Dataset = dataset, DataDirectory = dataDir } };
        else if (dataDir is not null) config = config with { Data = config.Data with { DataDirectory = dataDir } };
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException((configPath ?? "config") + ": " + string.Join("; ", errors));

        var data = SequenceData.Load(config.Data);
        var (run, summary) = await TrainAsync(config, data, outDir, resume, json ? null : progressTo, cancel);
        if (json) Cli.WriteJson(output, summary);
        else
        {
            output.WriteLine(run.Interrupted
                ? $"interrupted: saved {run.Checkpoint}; continue with --resume"
                : $"trained {config.Name}: {run.Parameters:N0} parameters, {run.SamplesPerSecond:0} samples/s");
            foreach (var h in run.History)
                output.WriteLine($"epoch {h.Epoch,3}  train loss {h.TrainLoss:0.0000} acc {h.TrainAccuracy:P2}  test loss {h.TestLoss:0.0000} acc {h.TestAccuracy:P2}  ω {string.Join(" ", h.Omega.Select(o => $"{o.Key}={o.Value:0.###}"))}  {h.Seconds:0.0}s  RSS {h.ResidentMegabytes:0} MB (peak {h.PeakResidentMegabytes:0})");
            if (summary.Metrics is not null) { output.WriteLine(); MetricsText.Write(output, summary.Metrics); }
            if (summary.Artifact is not null) output.WriteLine($"\nartifact: {summary.Artifact}");
        }
        return run.Interrupted ? 130 : 0;
    }

    /// <summary>
    /// Trains (or resumes) <paramref name="config"/> into <paramref name="outDir"/> with a progress bar on
    /// <paramref name="progressTo"/> (none when null); a finished run then gets its metrics, metrics.json and,
    /// for an LMU, the artifact; history.json either way. Shared by train and demo.
    /// </summary>
    internal static async Task<(TrainingResult Run, TrainSummary Summary)> TrainAsync(TrainingConfig config, SequenceData data, string outDir, bool resume,
        TextWriter? progressTo, CancellationToken cancel)
    {
        Directory.CreateDirectory(outDir);
        var trainer = new Trainer(config, outDir);
        var run = await WithProgress(progressTo, config, (progress, ct) => trainer.RunAsync(data, resume, progress, ct), cancel);
        var summary = Summarize(config, data, outDir, run);
        File.WriteAllText(Path.Combine(outDir, "history.json"), JsonSerializer.Serialize(run.History, Cli.Json));
        return (run, summary);
    }

    internal sealed record TrainSummary(string Name, bool Interrupted, long Parameters, double SamplesPerSecond, string Checkpoint,
        string? Artifact, IReadOnlyList<EpochRecord> History, Core.Metrics.MetricsReport? Metrics);

    /// <summary>After a finished run: final metrics, metrics.json and, for an LMU, the artifact.</summary>
    private static TrainSummary Summarize(TrainingConfig config, SequenceData data, string outDir, TrainingResult run)
    {
        if (run.Interrupted) return new TrainSummary(config.Name, true, run.Parameters, run.SamplesPerSecond, run.Checkpoint, null, run.History, null);
        using var trained = TrainedModel.Load(run.Checkpoint);
        var (eval, artifact) = trained.Finish(data, outDir); // record deconstruction
        File.WriteAllText(Path.Combine(outDir, "metrics.json"), JsonSerializer.Serialize(new { eval.Result, eval.Metrics }, Cli.Json));
        return new TrainSummary(config.Name, false, run.Parameters, run.SamplesPerSecond, run.Checkpoint, artifact, run.History, eval.Metrics);
    }

    private static int Eval(string modelPath, string? dataset, string? dataDir, int limit, bool json, TextWriter output, CancellationToken cancel)
    {
        var path = Directory.Exists(modelPath) ? Path.Combine(modelPath, Checkpoint.FileName) : modelPath;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint or artifact", path);
        if (Checkpoint.IsCheckpoint(path))
        {
            using var trained = TrainedModel.Load(path);
            var (model, config) = (trained.Model, trained.Config);
            var dataConfig = config.Data with { TestLimit = limit, Dataset = dataset ?? config.Data.Dataset, DataDirectory = dataset is null ? config.Data.DataDirectory : dataDir };
            var data = SequenceData.Load(dataConfig);
            var eval = ModelMetrics.Evaluate(model, data, data.Test, config.Training.BatchSize);
            Print(output, json, new { Source = "checkpoint (TorchSharp, float32)", Model = path, Dataset = dataConfig.Dataset, eval.Result.Samples, eval.Result.Accuracy, eval.Result.Loss, eval.Metrics },
                o => { o.WriteLine($"{path}: TorchSharp float32 on {dataConfig.Dataset}, {eval.Result.Samples} test sequences"); if (eval.Metrics is not null) MetricsText.Write(o, eval.Metrics); else o.WriteLine($"accuracy {eval.Result.Accuracy:P2}  loss {eval.Result.Loss:0.0000}"); });
        }
        else
        {
            var artifact = ArtifactFile.Read(path);
            var trained = DataConfig.ForArtifact(artifact, path);
            var dataConfig = trained with { TestLimit = limit, Dataset = dataset ?? trained.Dataset, DataDirectory = dataset is null ? trained.DataDirectory : dataDir };
            var data = SequenceData.Load(dataConfig);
            var result = ReferenceEvaluation.Run(artifact, data.Test, data.View, cancel: cancel);
            Print(output, json, new { Source = $"artifact (golden simulator, {artifact.Arithmetic})", Model = path, Dataset = dataConfig.Dataset, result.Samples, result.Accuracy, result.Loss, result.Metrics },
                o => { o.WriteLine($"{path}: golden simulator ({artifact.Arithmetic}) on {dataConfig.Dataset}, {result.Samples} test sequences"); MetricsText.Write(o, result.Metrics); });
        }
        return 0;
    }

    private static void Print<T>(TextWriter output, bool json, T report, Action<TextWriter> text)
    {
        if (json) Cli.WriteJson(output, report);
        else text(output);
    }

    /// <summary>A Spectre progress bar (epoch, batch, loss, accuracy, ω) on <paramref name="progressTo"/> unless null; Ctrl-C cancels and the trainer saves.</summary>
    private static async Task<TrainingResult> WithProgress(TextWriter? progressTo, TrainingConfig config, Func<IProgress<TrainingProgress>?, CancellationToken, Task<TrainingResult>> run, CancellationToken cancel)
    {
        using var interrupt = new CtrlC(cancel);
        return await ProgressBar.RunAsync(progressTo, config.Name, async task =>
        {
            var progress = task is null ? null : new Progress<TrainingProgress>(p =>
            {
                task.MaxValue = (double)p.Epochs * p.BatchesPerEpoch;
                task.Value = (double)(p.Epoch - 1) * p.BatchesPerEpoch + p.Batch;
                var omega = string.Join(" ", p.Omega.Select(o => $"ω_{o.Key}={o.Value:0.##}"));
                task.Description = $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.BatchesPerEpoch} loss {p.Loss:0.000} acc {p.Accuracy:P1} {omega}".EscapeMarkup();
            });
            return await run(progress, interrupt.Token);
        });
    }
}
