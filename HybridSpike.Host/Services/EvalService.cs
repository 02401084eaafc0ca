using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Reports;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Training;
using HybridSpike.Training.Models;

namespace HybridSpike.Host.Services;

/// <summary>A checkpoint (TorchSharp, float32) or an artifact (golden model, float64, and its fixed-point compilation) on a test split (<c>hybridspike eval</c>).</summary>
internal static class EvalService
{
    /// <summary>The fixed-point model of the artifact compiled to <paramref name="Profile"/> against the float64 golden model, on the same sequences.</summary>
    internal sealed record FixedPointComparison(string Profile, string Exponent, int WeightBits, int Samples, double Accuracy, int PredictionsDifferingFromFloat64);

    /// <summary>What <paramref name="model"/> names for <paramref name="engine"/>: the file to read and the engine (the asked one, or the one the file implies).</summary>
    internal static (string Path, EvalEngine Engine) Resolve(string model, EvalEngine? engine)
    {
        bool directory = Directory.Exists(model);
        switch (engine)
        {
            case null:
            {
                var path = directory ? Path.Combine(model, Checkpoint.FileName) : model;
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint or artifact", path);
                return (path, Checkpoint.IsCheckpoint(path) ? EvalEngine.Torch : EvalEngine.Golden);
            }
            case EvalEngine.Torch:
            {
                var path = directory ? Path.Combine(model, Checkpoint.FileName) : model;
                if (!File.Exists(path)) throw new FileNotFoundException($"--engine torch: {path}: no such checkpoint", path);
                if (!Checkpoint.IsCheckpoint(path))
                    throw new ArgumentException($"--engine torch evaluates a TorchSharp checkpoint (a training directory or a .hsckpt file), but --model {path} is not one" +
                        (IsArtifact(path) ? " (it is an artifact: use --engine golden)" : ""));
                return (path, EvalEngine.Torch);
            }
            default:
            {
                var path = ArtifactFile.PathOf(model);
                if (!File.Exists(path)) throw new FileNotFoundException($"--engine golden: {path}: no such artifact", path);
                if (Checkpoint.IsCheckpoint(path))
                    throw new ArgumentException($"--engine golden evaluates an artifact (an .hsa file or DIR/{TrainedModel.ArtifactFileName}), but --model {path} is a TorchSharp checkpoint: " +
                        "use --engine torch, or give the training directory");
                return (path, EvalEngine.Golden);
            }
        }
    }

    private static bool IsArtifact(string path)
    {
        try { ArtifactFile.Read(path); return true; }
        catch (Exception e) when (e is ArtifactFormatException or InvalidDataException or IOException or ArgumentException) { return false; }
    }

    /// <summary>Evaluates and writes the metrics (text or JSON) to <paramref name="output"/>, what it is doing to <paramref name="progress"/>; returns the exit code.</summary>
    public static int Run(EvalRequest request, TextWriter output, TextWriter progress, CancellationToken cancel)
    {
        var (path, engine) = Resolve(request.Model, request.Engine);
        if (engine == EvalEngine.Torch && request.FixedPointOptionGiven is { } given)
            throw new ArgumentException($"{given} applies to --engine golden (the fixed-point compilation of an artifact), but --model {path} is a checkpoint, evaluated with --engine torch");
        string chosen = request.Engine is null ? ", chosen by --model; --engine golden|torch picks" : "";
        if (engine == EvalEngine.Torch)
        {
            using var trained = TrainedModel.Load(path);
            var (model, config) = (trained.Model, trained.Config);
            var dataConfig = request.Data.Apply(config.Data) with { TestLimit = request.Limit };
            var data = SequenceData.Load(dataConfig);
            Check.WithinSplit(request.Limit, data.Test.Count, "--limit", dataConfig.Dataset);
            progress.WriteLine(CtrlC.Started("eval", data.Test.Count, dataConfig.Dataset));
            var eval = ModelMetrics.Evaluate(model, data, data.Test, config.Training.BatchSize, cancel: cancel);
            Print(output, request.Json, new { Engine = "torch", Source = "checkpoint (TorchSharp, float32)", Model = path, Dataset = dataConfig.Dataset, eval.Result.Samples, eval.Result.Accuracy, eval.Result.Loss, eval.Metrics },
                o =>
                {
                    o.WriteLine($"engine: torch (the float32 TorchSharp checkpoint{chosen})");
                    o.WriteLine($"{path}: TorchSharp float32 on {dataConfig.Dataset}, {eval.Result.Samples} test sequences");
                    if (eval.Metrics is not null) MetricsText.Write(o, eval.Metrics); else o.WriteLine($"accuracy {eval.Result.Accuracy:P2}  loss {eval.Result.Loss:0.0000}");
                });
        }
        else
        {
            var artifact = ArtifactFile.Read(path);
            var profile = Profiles.Get(request.FixedPoint.Profile);
            var (dataConfig, data) = CompileService.TestSequences(artifact, path, request.Data, request.Limit, "--limit");
            progress.WriteLine(CtrlC.Started("eval", data.Test.Count, dataConfig.Dataset));
            var result = ReferenceEvaluation.Run(artifact, data.Test, data.View, cancel: cancel);
            var fixedPoint = CompareFixedPoint(artifact, profile, request.FixedPoint, data, cancel);
            Print(output, request.Json, new { Engine = "golden", Source = $"artifact (golden simulator, {artifact.Arithmetic})", Model = path, Dataset = dataConfig.Dataset, result.Samples, result.Accuracy, result.Loss, result.Metrics, FixedPoint = fixedPoint },
                o =>
                {
                    o.WriteLine($"engine: golden (the float64 golden model of the artifact{chosen})");
                    o.WriteLine($"{path}: golden simulator ({artifact.Arithmetic}) on {dataConfig.Dataset}, {result.Samples} test sequences");
                    MetricsText.Write(o, result.Metrics);
                    o.WriteLine($"fixed point ({fixedPoint.Profile}, {fixedPoint.Exponent} exponents): {fixedPoint.Accuracy:P2} ({fixedPoint.PredictionsDifferingFromFloat64} of {fixedPoint.Samples} predictions differ from float64)");
                });
        }
        return 0;
    }

    /// <summary>
    /// The fixed-point model of <paramref name="artifact"/> compiled to <paramref name="profile"/> (FixedPointSimulator over
    /// Compiler.Compile(...).Discretized.FixedPoint()) and the float64 golden model, prediction for prediction on the test split of <paramref name="data"/>.
    /// </summary>
    internal static FixedPointComparison CompareFixedPoint(ModelArtifact artifact, HardwareProfile profile, CompileTarget target, SequenceData data, CancellationToken cancel)
    {
        var mesh = CompileService.Compile(artifact.Network, profile, target);
        var golden = GoldenSimulator.Create(artifact);
        var fixedSim = FixedPointSimulator.Create(mesh.Discretized.FixedPoint());
        var batches = Batching.InOrder(data.Test.Count, 50).ToArray();
        int correct = 0, differ = 0;
        ReferenceEvaluation.InParallel(batches.Length, cancel, b =>
        {
            var positions = batches[b].Span;
            var (inputs, labels) = data.Doubles(data.Test, positions);
            var f = golden.Run(inputs, positions.Length, data.Steps, null);
            var q = fixedSim.Run(inputs, positions.Length, data.Steps, null);
            int c = 0, d = 0;
            for (int i = 0; i < positions.Length; i++)
            {
                if (q.Predictions[i] == labels[i]) c++;
                if (q.Predictions[i] != f.Predictions[i]) d++;
            }
            Interlocked.Add(ref correct, c);
            Interlocked.Add(ref differ, d);
        });
        int n = data.Test.Count;
        return new FixedPointComparison(profile.Name, Exponents.Name(target.Exponent), profile.Core.WeightBits, n, n == 0 ? 0 : (double)correct / n, differ);
    }

    private static void Print<T>(TextWriter output, bool json, T report, Action<TextWriter> text)
    {
        if (json) Cli.WriteJson(output, report);
        else text(output);
    }
}
