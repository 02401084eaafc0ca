using HybridSpike.Core.Data;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using HybridSpike.Core.Metrics;
using HybridSpike.Host.Reports;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using static TorchSharp.torch;

namespace HybridSpike.Host.Experiments;

/// <summary>One trained model of an experiment, as it goes into the report.</summary>
internal sealed record ExperimentRun(
    string Name,
    string Kind,
    long Parameters,
    IReadOnlyList<EpochRecord> History,
    double TestAccuracy,
    double TestLoss,
    MetricsReport? Metrics,
    IReadOnlyDictionary<string, IReadOnlyDictionary<int, long>> SpikeHistograms,
    IReadOnlyDictionary<string, double> EnergyJoules,
    double TrainSeconds,
    double SamplesPerSecond);

/// <summary>
/// Trains every config of a folder on the same data, one after another, then writes a report
/// (markdown table, claims checked, PNG plots). A finished run (its metrics.json exists) is not
/// trained again and an interrupted one resumes, so a long experiment can be continued.
/// </summary>
internal sealed class Experiment(string configDirectory, string runsDirectory, string outputDirectory, string reportName, string? dataset, string? dataDir, int? epochs)
{
    public async Task<IReadOnlyList<ExperimentRun>> RunAsync(Action<string> log, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var files = Directory.GetFiles(configDirectory, "*.json").OrderBy(Order).ThenBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new ArgumentException($"{configDirectory}: no *.json configs");
        var configs = files.Select(f => (File: f, Config: Override(TrainingConfig.Load(f)))).ToArray(); // all validated before any training
        // Each config's name is its run folder: two with one name would share it, the second "already done".
        foreach (var same in configs.GroupBy(c => c.Config.Name).Where(g => g.Count() > 1))
            throw new Training.Config.ConfigException($"{string.Join(" and ", same.Select(c => c.File))}: both are named '{same.Key}' (each config's name is its run folder); rename one");
        var runs = new List<ExperimentRun>();
        foreach (var (file, config) in configs)
        {
            cancel.ThrowIfCancellationRequested();
            var dir = Path.Combine(runsDirectory, config.Name);
            runs.Add(await RunOne(config, dir, log, progress, cancel));
        }
        return runs;
    }

    private static int Order(string file) =>
        Array.IndexOf(["lmu", "hslmu", "hslmu-full", "lmu-parallel", "hslmu-parallel", "lstm", "gru"], Path.GetFileNameWithoutExtension(file)) is var i and >= 0 ? i : 100;

    private TrainingConfig Override(TrainingConfig c)
    {
        if (epochs is { } e) c = c with { Training = c.Training with { Epochs = e } };
        if (dataset is not null) c = c with { Data = c.Data with { Dataset = dataset, DataDirectory = dataDir } };
        return c;
    }

    private async Task<ExperimentRun> RunOne(TrainingConfig config, string dir, Action<string> log, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var data = SequenceData.Load(config.Data);
        _datasetLabel ??= $"{data.Dataset.Name} ({data.Train.Count:N0} train / {data.Test.Count:N0} test sequences of {data.Steps} steps)";
        var resultFile = Path.Combine(dir, "run.json");
        if (File.Exists(resultFile))
        {
            log($"{config.Name}: already done ({resultFile})");
            try
            {
                return JsonSerializer.Deserialize<ExperimentRun>(File.ReadAllText(resultFile), Cli.Json)
                    ?? throw new JsonException("the file holds null");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{resultFile}: a finished run's result that cannot be read ({e.Message}); delete it to train {config.Name} again", e);
            }
        }
        var trainer = new Training.Trainer(config, dir);
        bool resume = File.Exists(trainer.CheckpointPath);
        log($"{config.Name}: {(resume ? "resuming" : "training")} ({config.Model.Kind}, {config.Training.Epochs} epochs, {data.Train.Count} sequences)");
        var clock = Stopwatch.StartNew();
        var result = await trainer.RunAsync(data, resume, progress, cancel);
        if (result.Interrupted) throw new OperationCanceledException($"{config.Name}: interrupted; run the same command again to continue");

        using var trained = TrainedModel.Load(result.Checkpoint);
        var model = trained.Model;
        var (eval, _) = trained.Finish(data, dir);
        var histograms = SpikeHistograms(model, data, config.Training.BatchSize);
        var energy = eval.Metrics is { } m
            ? m.Energy.ToDictionary(e => e.Device, e => e.Joules)
            : DenseEnergy(model, data.Steps);
        var run = new ExperimentRun(config.Name, config.Model.Kind, model.ParameterCount(), result.History, eval.Result.Accuracy, eval.Result.Loss,
            eval.Metrics, histograms, energy, result.History.Sum(h => h.Seconds), result.SamplesPerSecond);
        File.WriteAllText(resultFile, JsonSerializer.Serialize(run, Cli.Json));
        log($"{config.Name}: test accuracy {eval.Result.Accuracy:P2} ({clock.Elapsed.TotalMinutes:0.0} min)");
        return run;
    }

    /// <summary>How often each count value occurs, per quantized population, over the test split.</summary>
    private static Dictionary<string, IReadOnlyDictionary<int, long>> SpikeHistograms(SequenceModel model, SequenceData data, int batchSize)
    {
        var result = new Dictionary<string, Dictionary<int, long>>();
        if (model.Quantizers.Count == 0) return [];
        Evaluation.Run(model, data, data.Test, batchSize, onBatch: (forward, _) =>
        {
            foreach (var a in forward.Activity)
            {
                var h = result.TryGetValue(a.Population, out var x) ? x : result[a.Population] = [];
                using var counts = a.Counts.contiguous();
                foreach (var c in MemoryMarshal.Cast<byte, int>(counts.bytes)) h[c] = h.GetValueOrDefault(c) + 1;
            }
        });
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<int, long>)kv.Value);
    }

    /// <summary>Energy of an LSTM/GRU per inference: every weight is one synaptic op every step, every gate unit one neuron update.</summary>
    private static Dictionary<string, double> DenseEnergy(SequenceModel model, int steps)
    {
        long weights = model.named_parameters().Where(p => p.name.Contains("weight")).Sum(p => p.parameter.numel());
        long gates = model.named_parameters().Where(p => p.name.Contains("bias_ih")).Sum(p => p.parameter.numel());
        var ops = new OperationCounts(weights, weights, gates, steps);
        return EnergyModel.Devices.ToDictionary(d => d.Name, d => EnergyModel.PerInference(d, ops).Joules);
    }

    /// <summary>Writes <c>{reportName}.md</c> and the PNG plots into the output directory.</summary>
    public string WriteReport(IReadOnlyList<ExperimentRun> runs, string command, TimeSpan elapsed)
    {
        Directory.CreateDirectory(outputDirectory);
        var prefix = reportName;
        ExperimentPlots.LearningCurves(runs, Path.Combine(outputDirectory, $"{prefix}-learning-curves.png"));
        ExperimentPlots.AccuracyAgainstOmega(runs, Path.Combine(outputDirectory, $"{prefix}-accuracy-vs-omega.png"));
        ExperimentPlots.SpikeHistograms(runs, Path.Combine(outputDirectory, $"{prefix}-spike-counts.png"));

        string P(double v) => (v * 100).ToString("0.00", CultureInfo.InvariantCulture);
        string F(double? v, string f = "0.00") => v is { } x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
        var sb = new StringBuilder();
        var first = runs[0];
        sb.AppendLine($"# Permuted sequential {_datasetLabel}: {string.Join(", ", runs.Select(r => r.Name))}");
        sb.AppendLine();
        sb.AppendLine($"Measured by `{command}` on {Machine()}; training took {runs.Sum(r => r.TrainSeconds) / 60:0} minutes in all (the sum over the models; this invocation {elapsed.TotalMinutes:0} minutes, models already trained are read back). Every model: the same split and permutation, batch 100, Adam; epochs and ω schedule as in its config under `{configDirectory}`. Definitions of the metrics: `docs/metrics.md`.");
        sb.AppendLine();
        sb.AppendLine("| model | parameters | epochs | test accuracy % | test loss | activity bits per sequence / whole set | significant bits | spikes/unit/step | zero fraction | energy/inference loihi | energy/inference cpu | training time |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs)
        {
            var o = r.Metrics?.Overall;
            sb.AppendLine($"| {r.Name} | {r.Parameters:N0} | {r.History.Count} | {P(r.TestAccuracy)} | {F(r.TestLoss, "0.000")} | {F(o?.ActivityBitsPerSequence)} / {F(o?.ActivityBits)} | {F(o?.SignificantBits)} | {F(o?.SpikesPerUnitPerStep, "0.000")} | {F(o?.ZeroFraction, "0.000")} | {MetricsText.Joules(r.EnergyJoules.GetValueOrDefault("loihi"))} | {MetricsText.Joules(r.EnergyJoules.GetValueOrDefault("cpu"))} | {r.TrainSeconds / 60:0.0} min ({r.SamplesPerSecond:0} samples/s) |");
        }
        sb.AppendLine();
        sb.AppendLine("Activity bits have two readings (`docs/metrics.md`): per sequence, each sequence's largest count per unit, averaged over the sequences (method.md's, the one the claim below uses), and over the whole test set, each unit's largest count of all.");
        sb.AppendLine();
        sb.AppendLine("Spiking metrics are over the quantized populations (the hidden layer, and the memory where it is quantized); `-` where a model has none. The LSTM's and GRU's energy counts every weight as one operation per step (they are not spiking networks).");
        sb.AppendLine();
        sb.AppendLine("## The paper's claims on this split");
        sb.AppendLine();
        foreach (var line in Claims(runs)) sb.AppendLine($"- {line}");
        sb.AppendLine();
        sb.AppendLine("## Plots");
        sb.AppendLine();
        sb.AppendLine($"![learning curves]({prefix}-learning-curves.png)");
        sb.AppendLine();
        sb.AppendLine($"![accuracy against ω]({prefix}-accuracy-vs-omega.png)");
        sb.AppendLine();
        sb.AppendLine($"![spike counts]({prefix}-spike-counts.png)");
        sb.AppendLine();
        sb.AppendLine("## Per epoch");
        sb.AppendLine();
        sb.AppendLine("| model | epoch | train loss | train accuracy % | test accuracy % | ω | seconds | peak resident MB |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var r in runs)
            foreach (var h in r.History)
                sb.AppendLine($"| {r.Name} | {h.Epoch} | {h.TrainLoss:0.000} | {P(h.TrainAccuracy)} | {P(h.TestAccuracy)} | {string.Join(", ", h.Omega.Select(o => $"{o.Key} {o.Value:0.##}"))} | {h.Seconds:0} | {h.PeakResidentMegabytes:0} |");
        var path = Path.Combine(outputDirectory, $"{prefix}.md");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private string? _datasetLabel;

    /// <summary>Each claim with the numbers behind it, held or not.</summary>
    internal static IEnumerable<string> Claims(IReadOnlyList<ExperimentRun> runs)
    {
        ExperimentRun? Get(string name) => runs.FirstOrDefault(r => r.Name == name);
        string Held(bool ok) => ok ? "**holds**" : "**does not hold**";
        var baselines = runs.Where(r => r.Kind is "lstm" or "gru").ToList();
        foreach (var (spiking, plain) in new[] { ("hslmu", "lmu"), ("hslmu-full", "lmu"), ("hslmu-parallel", "lmu-parallel") })
        {
            if (Get(spiking) is not { } s || Get(plain) is not { } p) continue;
            double gap = (p.TestAccuracy - s.TestAccuracy) * 100;
            yield return $"{s.Name} within 1 point of the non-spiking {p.Name}: {s.TestAccuracy * 100:0.00}% against {p.TestAccuracy * 100:0.00}% (gap {gap:0.00} points): {Held(gap <= 1)}.";
            if (baselines.Count > 0)
            {
                var best = baselines.MaxBy(b => b.TestAccuracy)!;
                yield return $"{s.Name} above LSTM and GRU: {s.TestAccuracy * 100:0.00}% against the best baseline {best.Name} {best.TestAccuracy * 100:0.00}%: {Held(baselines.All(b => s.TestAccuracy > b.TestAccuracy))}.";
            }
            if (s.Metrics?.Overall is { ActivityBitsPerSequence: { } perSequence, ActivityBits: { } whole })
                yield return $"{s.Name} activity bits ≤ 3.74, read per sequence (method.md): {perSequence:0.00}: {Held(perSequence <= 3.74)}. Over the whole test set (the stricter reading): {whole:0.00}, {(whole <= 3.74 ? "within" : "above")} the bound.";
            else if (s.Metrics?.Overall.ActivityBits is { } ab)
                yield return $"{s.Name} activity bits ≤ 3.74: only the whole-set reading was recorded: {ab:0.00}: {Held(ab <= 3.74)}.";
            if (s.Metrics?.Overall.SignificantBits is { } sb) yield return $"{s.Name} significant bits ≤ 1.26: {sb:0.00}: {Held(sb <= 1.26)}.";
        }
    }

    internal static string Machine()
    {
        string cpu = "unknown CPU";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu; } catch (IOException) { }
        return $"{Environment.ProcessorCount} cores ({cpu}), {RuntimeInformation.OSDescription}, .NET {Environment.Version}, TorchSharp 0.107 / libtorch 2.10 (CPU)";
    }
}
