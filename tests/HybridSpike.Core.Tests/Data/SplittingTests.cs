using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public class SplittingTests
{
    [Fact]
    public void The_embedded_split_is_8000_train_and_2000_test_disjoint_and_complete()
    {
        var s = Datasets.Load(DatasetRequest.Of(Datasets.MnistEmbedded)).Splits;
        Assert.Equal(8_000, s.Train.Count);
        Assert.Equal(2_000, s.Test.Count);
        Assert.Equal(0, s.Validation.Count);
        Assert.Empty(s.Train.Indices.Intersect(s.Test.Indices));
        Assert.Equal(Enumerable.Range(0, 10_000), s.Train.Indices.Concat(s.Test.Indices).Order());
    }

    [Fact]
    public void The_embedded_split_is_stratified_to_within_one_image_per_class()
    {
        var s = Datasets.Load(DatasetRequest.Of(Datasets.MnistEmbedded)).Splits;
        var test = s.Test.ClassCounts();
        for (int c = 0; c < 10; c++)
            Assert.InRange(test[c] - EmbeddedMnist.ExpectedClassCounts[c] * 0.2, -1.0, 1.0);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        var set = EmbeddedMnist.Load();
        var a = Splitting.Stratified("x", set, 2000, 5);
        var b = Splitting.Stratified("x", set, 2000, 5);
        var c = Splitting.Stratified("x", set, 2000, 6);
        Assert.Equal(a.Test.Indices.ToArray(), b.Test.Indices.ToArray());
        Assert.NotEqual(a.Test.Indices.ToArray(), c.Test.Indices.ToArray());
    }

    [Fact]
    public void Hold_out_validation_shuffles_then_takes_the_first_for_training()
    {
        var set = SyntheticSets.Make(n: 600, classes: 10, seed: 1);
        var test = SyntheticSets.Make(n: 100, classes: 10, seed: 2);
        var s = Splitting.HoldOutValidation("x", set, test, 500, seed: 9);
        Assert.Equal(500, s.Train.Count);
        Assert.Equal(100, s.Validation.Count);
        Assert.Equal(100, s.Test.Count);
        Assert.Empty(s.Train.Indices.Intersect(s.Validation.Indices));
        Assert.Equal(Enumerable.Range(0, 600), s.Train.Indices.Concat(s.Validation.Indices).Order());
        Assert.NotEqual(Enumerable.Range(0, 500), s.Train.Indices.ToArray()); // shuffled, not the first 500
        Assert.Equal(s.Train.Indices.ToArray(), Splitting.HoldOutValidation("x", set, test, 500, seed: 9).Train.Indices.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(999)]
    public void Stratified_splits_of_any_size_are_exact_disjoint_and_proportional(int testCount)
    {
        var set = SyntheticSets.Make(n: 1000, classes: 7, seed: 3);
        var s = Splitting.Stratified("x", set, testCount, seed: 4);
        Assert.Equal(testCount, s.Test.Count);
        Assert.Empty(s.Train.Indices.Intersect(s.Test.Indices));
        var all = set.ClassCounts();
        var test = s.Test.ClassCounts();
        for (int c = 0; c < 7; c++)
            Assert.InRange(test[c] - (double)all[c] * testCount / 1000, -1.0, 1.0);
    }
}

internal static class SyntheticSets
{
    /// <summary>A small random labelled set of 28x28 images (for split and batching tests).</summary>
    public static LabeledImages Make(int n, int classes, ulong seed)
    {
        var g = new HybridSpike.Core.Numerics.SplitMix64(seed);
        var labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte)g.NextInt(classes);
        var pixels = new byte[n * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)g.NextInt(256);
        return new LabeledImages("synthetic", 28, 28, classes, pixels, labels);
    }
}

public class SplitOrderTests
{
    [Fact]
    public void A_prefix_of_the_embedded_test_split_mixes_the_classes()
    {
        // The embedded digits are stored class by class; a split in storage order would make
        // "the first 200 test digits" all zeros.
        var test = Datasets.Load(DatasetRequest.Of(Datasets.MnistEmbedded)).Splits.Test;
        var prefix = test with { Indices = test.Indices[..200] };
        Assert.All(prefix.ClassCounts(), c => Assert.InRange(c, 5, 40));
    }
}
