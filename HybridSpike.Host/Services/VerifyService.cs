using System.Runtime.InteropServices;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Training;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Host.Services;

/// <summary>
/// The work of <c>hybridspike verify</c>: runs the same test sequences through TorchSharp in float32 and float64
/// and through the golden simulator on the exported artifact, and counts where their spike counts
/// and predictions differ. Float64 against the golden model should be exact; float32 shows how often
/// rounding flips a ⌊·⌋.
/// </summary>
internal static class VerifyService
{
    /// <summary>Compares, writes the report (text or JSON) to <paramref name="o"/>; exit code 1 when float64 and the golden model differ.</summary>
    public static int Run(VerifyRequest request, TextWriter o, TextWriter progress, CancellationToken cancel)
    {
        var report = Verify(request.Model, request.Limit, BatchSize, progress, cancel);
        if (request.Json) { Cli.WriteJson(o, report); return 0; }
        o.WriteLine($"{report.Model}: {report.Samples} test sequences x {report.Steps} steps");
        o.WriteLine($"{"population",-12}{"counts",14}{"f64 vs golden",16}{"f32 vs golden",16}{"f32, last step",16}");
        foreach (var p in report.Populations)
            o.WriteLine($"{p.Population,-12}{p.Counts,14}{p.Float64Differences,16}{p.Float32Differences,16}{p.Float32DifferencesAtLastStep,16}");
        o.WriteLine($"predictions differing from the golden model: float64 {report.PredictionsFloat64Differ}, float32 {report.PredictionsFloat32Differ}");
        o.WriteLine($"accuracy: golden {report.GoldenAccuracy:P2}, TorchSharp float32 {report.Float32Accuracy:P2}");
        return report.Populations.Any(p => p.Float64Differences > 0) || report.PredictionsFloat64Differ > 0 ? 1 : 0;
    }

    internal sealed record PopulationComparison(string Population, long Counts, long Float64Differences, long Float32Differences, long Float32DifferencesAtLastStep);

    internal sealed record VerifyReport(string Model, int Samples, int Steps, IReadOnlyList<PopulationComparison> Populations,
        int PredictionsFloat64Differ, int PredictionsFloat32Differ, double GoldenAccuracy, double Float32Accuracy);

    /// <summary>
    /// Sequences compared at a time. The recorded activities of one psMNIST sequence take about 13.5 MB over the
    /// float32, float64 and golden runs, so a batch bounds the memory whatever <c>--limit</c> is (all 2,000 at once
    /// took 23.7 GB).
    /// </summary>
    internal const int BatchSize = 25;

    /// <summary>Compares <paramref name="batchSize"/> sequences at a time (the report does not depend on it: only the memory does).</summary>
    internal static VerifyReport Verify(string directory, int limit, int batchSize, TextWriter progress, CancellationToken cancel)
    {
        var checkpoint = Path.Combine(directory, Checkpoint.FileName);
        var artifactPath = Path.Combine(directory, TrainedModel.ArtifactFileName);
        var artifact = ArtifactFile.Read(artifactPath);
        // Two copies of the checkpoint: one stays float32, the other is moved to float64 once, not per batch.
        using var trained32 = TrainedModel.Load(checkpoint);
        using var trained64 = TrainedModel.Load(checkpoint);
        var (model32, config) = (trained32.Model, trained32.Config);
        if (model32 is not LmuModel) throw new ArgumentException($"{checkpoint}: only LMU models have a spiking network to verify");
        var model64 = trained64.Model;
        model32.eval();
        model64.eval();
        model64.to(ScalarType.Float64);
        var data = SequenceData.Load(config.Data with { TestLimit = limit });
        Check.WithinSplit(limit, data.Test.Count, "--limit", config.Data.Dataset);
        progress.WriteLine(CtrlC.Started("verify", data.Test.Count, config.Data.Dataset) + $" ({batchSize} at a time)");
        int samples = data.Test.Count, steps = data.Steps;
        var golden = GoldenSimulator.Create(artifact);

        var totals = new List<PopulationComparison>();                     // per recorded population, in the model's order
        int differ64 = 0, differ32 = 0, goldenCorrect = 0, correct32 = 0;
        for (int from = 0; from < samples; from += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var positions = Enumerable.Range(from, Math.Min(batchSize, samples - from)).ToArray();
            int batch = positions.Length;
            using var scope = NewDisposeScope();
            var (x32, y) = data.Batch(data.Test, positions);
            RecordedForward f32, f64;
            using (no_grad())
            {
                f32 = model32.Record(x32);
                f64 = model64.Record(x32.to_type(ScalarType.Float64));
            }
            var inputs = x32.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            SimulationResult? goldenResult = null;
            foreach (var ((a32, a64), k) in f32.Activity.Zip(f64.Activity).Select((a, k) => (a, k)))
            {
                cancel.ThrowIfCancellationRequested();
                var g = golden.RecordCounts(a32.Population, inputs, batch, steps);
                goldenResult = g.Result;
                var gc = g.Counts.AsSpan();                                   // [step, sample, unit]
                long d64 = Differences(a64.Counts, gc, steps, out _), d32 = Differences(a32.Counts, gc, steps, out long last);
                if (k == totals.Count) totals.Add(new PopulationComparison(a32.Population, 0, 0, 0, 0));
                var sum = totals[k];
                totals[k] = sum with { Counts = sum.Counts + gc.Length, Float64Differences = sum.Float64Differences + d64,
                    Float32Differences = sum.Float32Differences + d32, Float32DifferencesAtLastStep = sum.Float32DifferencesAtLastStep + last };
            }
            goldenResult ??= golden.Run(inputs, batch, steps);
            var labels = y.data<long>().ToArray();
            var p32 = f32.Logits.argmax(1).data<long>().ToArray();
            var p64 = f64.Logits.argmax(1).data<long>().ToArray();
            for (int i = 0; i < batch; i++)
            {
                int gp = goldenResult.Predictions[i];
                if (p64[i] != gp) differ64++;
                if (p32[i] != gp) differ32++;
                if (gp == labels[i]) goldenCorrect++;
                if (p32[i] == labels[i]) correct32++;
            }
        }
        return new VerifyReport(directory, samples, steps, totals, differ64, differ32, (double)goldenCorrect / samples, (double)correct32 / samples);
    }

    /// <summary>Counts where TorchSharp's [B, T, N] counts differ from the golden [T, B, N] ones (and how many at the last step).</summary>
    private static long Differences(Tensor counts, ReadOnlySpan<int> golden, int steps, out long atLastStep)
    {
        using var tbn = counts.permute(1, 0, 2).contiguous();
        var torchCounts = MemoryMarshal.Cast<byte, int>(tbn.bytes);
        long total = 0;
        atLastStep = 0;
        int perStep = golden.Length / steps;
        for (int i = 0; i < golden.Length; i++)
            if (torchCounts[i] != golden[i])
            {
                total++;
                if (i / perStep == steps - 1) atLastStep++;
            }
        return total;
    }
}
