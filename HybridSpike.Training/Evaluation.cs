using HybridSpike.Core.Data;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>Loss and accuracy of a model on a split.</summary>
public sealed record EvaluationResult(int Samples, double Loss, double Accuracy);

public static class Evaluation
{
    /// <summary>
    /// Runs <paramref name="model"/> in eval mode over <paramref name="split"/>; when
    /// <paramref name="onBatch"/> is given the forward pass records every quantized population's
    /// counts and hands them over (for metrics) before the batch's tensors are freed.
    /// </summary>
    public static EvaluationResult Run(SequenceModel model, SequenceData data, Split split, int batchSize,
        ScalarType dtype = ScalarType.Float32, Action<RecordedForward, Tensor>? onBatch = null, CancellationToken cancel = default)
    {
        model.eval();
        double lossSum = 0;
        long correct = 0, seen = 0;
        using var _ = no_grad();
        foreach (var positions in Batching.InOrder(split.Count, batchSize))
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (x, y) = data.Batch(split, positions.Span, dtype);
            var forward = onBatch is null ? new RecordedForward(model.forward(x), []) : model.Record(x);
            var logits = forward.Logits;
            lossSum += nn.functional.cross_entropy(logits.to_type(ScalarType.Float64), y, reduction: nn.Reduction.Sum).item<double>();
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += positions.Length;
            onBatch?.Invoke(forward, y);
        }
        return new EvaluationResult((int)seen, seen == 0 ? double.NaN : lossSum / seen, seen == 0 ? double.NaN : (double)correct / seen);
    }
}
