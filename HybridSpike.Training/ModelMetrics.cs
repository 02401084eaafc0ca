using System.Runtime.InteropServices;
using HybridSpike.Core.Data;
using HybridSpike.Core.Metrics;
using HybridSpike.Core.Network;
using HybridSpike.Training.Models;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>An evaluation with the activity metrics of docs/metrics.md (null for models that have no network form, the LSTM and GRU).</summary>
public sealed record ModelEvaluation(EvaluationResult Result, MetricsReport? Metrics, NetworkDescription? Network);

public static class ModelMetrics
{
    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="split"/> and, for an LMU, feeds every
    /// batch's spike counts into the accumulators of its exported network (whose connections give
    /// each unit's fan-out), then builds the metrics report.
    /// </summary>
    public static ModelEvaluation Evaluate(SequenceModel model, SequenceData data, Split split, int batchSize, ScalarType dtype = ScalarType.Float32, CancellationToken cancel = default)
    {
        if (model is not LmuModel lmu)
            return new ModelEvaluation(Finite(Evaluation.Run(model, data, split, batchSize, dtype, cancel: cancel), "the model's outputs"), null, null);
        var network = Export.Network(lmu, data.Config);
        var accumulators = ActivityAccumulator.ForNetwork(network).ToDictionary(a => a.Population);
        var result = Evaluation.Run(model, data, split, batchSize, dtype, (forward, y) =>
        {
            int batch = (int)y.shape[0];
            foreach (var a in accumulators.Values.Where(a => !a.IsQuantized)) a.Add([], batch, data.Steps);
            foreach (var activity in forward.Activity)
            {
                using var counts = activity.Counts.contiguous();
                accumulators[activity.Population].Add(MemoryMarshal.Cast<byte, int>(counts.bytes), batch, data.Steps);
            }
        }, cancel);
        Finite(result, $"population '{network.Output.Population}'");
        var report = MetricsReport.Create(network, accumulators.Values, result.Accuracy, result.Loss);
        return new ModelEvaluation(result, report, network);
    }

    /// <summary>
    /// A non-finite loss means outputs that overflowed (huge weights, an activity gone to infinity): a broken model,
    /// reported as such rather than as an accuracy.
    /// </summary>
    private static EvaluationResult Finite(EvaluationResult result, string outputs) =>
        double.IsFinite(result.Loss) || result.Samples == 0
            ? result
            : throw new InvalidDataException($"{outputs}: the mean loss over {result.Samples} test sequences is {result.Loss}, not a finite number (weights or an activity overflow)");
}
