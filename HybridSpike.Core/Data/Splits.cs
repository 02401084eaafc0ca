using System.Collections.Immutable;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Data;

/// <summary>The three splits of a dataset. <see cref="Validation"/> may be empty.</summary>
public sealed record DatasetSplits(string Dataset, Split Train, Split Validation, Split Test, ulong SplitSeed, string Protocol);

/// <summary>The seeded split protocols.</summary>
public static class Splitting
{
    /// <summary>
    /// The NRU/LMU protocol for full MNIST-shaped sets: shuffle the training set with the seed,
    /// the first <paramref name="trainCount"/> become the training split and the rest validation;
    /// the standard test set stays the test split.
    /// </summary>
    public static DatasetSplits HoldOutValidation(string dataset, LabeledImages trainSet, LabeledImages testSet, int trainCount, ulong seed)
    {
        if (trainCount <= 0 || trainCount > trainSet.Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), $"{trainCount} is outside 1..{trainSet.Count}");
        var order = Enumerable.Range(0, trainSet.Count).ToArray();
        new SplitMix64(seed).Shuffle(order.AsSpan());
        return new DatasetSplits(
            dataset,
            new Split("train", trainSet, ImmutableArray.Create(order, 0, trainCount)),
            new Split("validation", trainSet, ImmutableArray.Create(order, trainCount, order.Length - trainCount)),
            new Split("test", testSet, Enumerable.Range(0, testSet.Count).ToImmutableArray()),
            seed,
            $"shuffle the {trainSet.Count} training images with seed {seed}; first {trainCount} train, last {trainSet.Count - trainCount} validation; standard {testSet.Count} test");
    }

    /// <summary>
    /// A stratified train/test split of one set: each class is shuffled with the seed and
    /// split in proportion; per-class test counts are rounded by largest remainder so that
    /// exactly <paramref name="testCount"/> images are held out.
    /// </summary>
    public static DatasetSplits Stratified(string dataset, LabeledImages set, int testCount, ulong seed)
    {
        if (testCount <= 0 || testCount >= set.Count)
            throw new ArgumentOutOfRangeException(nameof(testCount), $"{testCount} is outside 1..{set.Count - 1}");
        var counts = set.ClassCounts();
        var quota = new int[set.Classes];
        var remainders = new (double Remainder, int Class)[set.Classes];
        int assigned = 0;
        for (int c = 0; c < set.Classes; c++)
        {
            double exact = (double)counts[c] * testCount / set.Count;
            quota[c] = (int)Math.Floor(exact);
            remainders[c] = (exact - quota[c], c);
            assigned += quota[c];
        }
        // Largest remainder first; ties go to the lower class so the result is fully determined.
        foreach (var (_, c) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Class).Take(testCount - assigned))
            quota[c]++;

        var labels = set.Labels.Span;
        var train = new List<int>(set.Count - testCount);
        var test = new List<int>(testCount);
        for (int c = 0; c < set.Classes; c++)
        {
            var members = new List<int>(counts[c]);
            for (int i = 0; i < set.Count; i++) if (labels[i] == c) members.Add(i);
            var arr = members.ToArray();
            SplitMix64.Derive(seed, (ulong)c).Shuffle(arr.AsSpan());
            test.AddRange(arr.Take(quota[c]));
            train.AddRange(arr.Skip(quota[c]));
        }
        // Shuffled (seeded), so that the split's order does not follow the classes: a prefix
        // (--limit, trainLimit) is then a fair sample, and evaluation batches mix the classes.
        var trainArray = train.ToArray();
        var testArray = test.ToArray();
        SplitMix64.Derive(seed, 1_000_001).Shuffle(trainArray.AsSpan());
        SplitMix64.Derive(seed, 1_000_002).Shuffle(testArray.AsSpan());
        return new DatasetSplits(
            dataset,
            new Split("train", set, ImmutableArray.Create(trainArray)),
            new Split("validation", set, ImmutableArray<int>.Empty),
            new Split("test", set, ImmutableArray.Create(testArray)),
            seed,
            $"stratified by class with seed {seed}: {set.Count - testCount} train, {testCount} test");
    }
}
