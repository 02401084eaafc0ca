using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Metrics;
using HybridSpike.Core.Network;

namespace HybridSpike.Core.Reference;

/// <summary>What the golden simulator made of a test split: accuracy, mean cross-entropy and the activity metrics.</summary>
public sealed record ReferenceEvaluationResult(int Samples, double Accuracy, double Loss, MetricsReport Metrics);

/// <summary>Runs an artifact's network on a split with the golden simulator (in parallel over batches) and measures it.</summary>
public static class ReferenceEvaluation
{
    /// <summary>The float64 golden simulator on an artifact.</summary>
    public static ReferenceEvaluationResult Run(ModelArtifact artifact, Split split, SequenceView view, int batchSize = 50, IProgress<int>? progress = null, CancellationToken cancel = default) =>
        Run(GoldenSimulator.Create(artifact), split, view, batchSize, progress, cancel);

    /// <summary>Any simulator (float64 or fixed point) on the pixel sequences of a split.</summary>
    public static ReferenceEvaluationResult Run(ISimulator simulator, Split split, SequenceView view, int batchSize = 50, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var network = simulator.Network;
        if (network.Input.Dimensions != 1)
            throw new ArgumentException($"the network takes {network.Input.Dimensions} inputs per step; pixel sequences give 1");
        var batches = Batching.InOrder(split.Count, batchSize).ToArray();
        var totals = new List<ActivityTotals>[batches.Length];
        var correct = new int[batches.Length];
        var loss = new double[batches.Length];
        int done = 0;
        InParallel(batches.Length, cancel, b =>
        {
            var positions = batches[b].Span;
            var (inputs, labels) = view.Doubles(split, positions);
            var observer = new Accumulate(ActivityAccumulator.ForNetwork(network).ToDictionary(a => a.Population));
            var result = simulator.Run(inputs, positions.Length, view.Length, observer);
            for (int i = 0; i < positions.Length; i++)
            {
                var outputs = result.Outputs.Row(i);
                CheckFinite(network, outputs, positions[i]);
                if (result.Predictions[i] == labels[i]) correct[b]++;
                loss[b] += CrossEntropy(outputs, (int)labels[i]);
            }
            foreach (var a in observer.Accumulators.Values.Where(a => !a.IsQuantized)) a.Add([], positions.Length, view.Length);
            totals[b] = [.. observer.Accumulators.Values.Select(a => a.Totals())];
            progress?.Report(Interlocked.Add(ref done, positions.Length));
        });
        var merged = totals.SelectMany(t => t).GroupBy(t => t.Population).Select(g => g.Aggregate(ActivityTotals.Combine));
        double accuracy = (double)correct.Sum() / split.Count, meanLoss = loss.Sum() / split.Count;
        if (!double.IsFinite(meanLoss))
            throw new InvalidDataException($"population '{network.Output.Population}': the mean loss over {split.Count} test sequences is {meanLoss}, not a finite number (its outputs are too large)");
        return new ReferenceEvaluationResult(split.Count, accuracy, meanLoss, MetricsReport.FromTotals(network, merged, accuracy, meanLoss));
    }

    /// <summary>
    /// <paramref name="body"/> for each of <paramref name="count"/> batches, in parallel. A broken model is the user's
    /// error, not a failure of the loop, so it comes out as itself: an <see cref="InvalidDataException"/> thrown by a
    /// batch, and a count or fixed-point value that overflowed as it ran (weights or biases too large: a recurrent linear or relu
    /// population has no bound the network's validation could check) as one.
    /// </summary>
    public static void InParallel(int count, CancellationToken cancel, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancel }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<InvalidDataException>().FirstOrDefault() is { } broken)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(broken);
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<OverflowException>().FirstOrDefault() is { } overflow)
        {
            throw new InvalidDataException($"the model overflows as it runs: {overflow.Message} (its weights or biases are too large)", overflow);
        }
    }

    /// <summary>
    /// Outputs that overflowed (weights of 1e300, an activity gone to infinity) would give a NaN loss and an
    /// arbitrary prediction, which reads as a bad model; it is a broken one, so it is an error naming where.
    /// </summary>
    private static void CheckFinite(NetworkDescription network, ReadOnlySpan<double> outputs, int sequence)
    {
        for (int k = 0; k < outputs.Length; k++)
            if (!double.IsFinite(outputs[k]))
                throw new InvalidDataException(
                    $"population '{network.Output.Population}': output {k} of test sequence {sequence} is {outputs[k]}, not a finite number (its weights or an activity overflow float64)");
    }

    private static double CrossEntropy(ReadOnlySpan<double> logits, int label)
    {
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return Math.Log(sum) + max - logits[label];
    }

    private sealed class Accumulate(Dictionary<string, ActivityAccumulator> accumulators) : IActivityObserver
    {
        public Dictionary<string, ActivityAccumulator> Accumulators { get; } = accumulators;

        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) =>
            Accumulators[population.Name].AddStep(counts, counts.Length / population.Size, step);
    }
}
