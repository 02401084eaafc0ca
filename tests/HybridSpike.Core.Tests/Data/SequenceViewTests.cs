using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public class SequenceViewTests
{
    [Fact]
    public void The_psMNIST_permutation_is_a_bijection_of_784_pixels()
    {
        var view = SequenceView.Permuted(784, Datasets.DefaultPermutationSeed);
        Assert.Equal(Enumerable.Range(0, 784), view.Order.Order());
        Assert.NotEqual(Enumerable.Range(0, 784), view.Order.ToArray());
    }

    [Fact]
    public void The_default_permutation_is_pinned_so_it_is_the_same_on_every_run_and_machine()
    {
        var view = SequenceView.Permuted(784, Datasets.DefaultPermutationSeed);
        Assert.Equal(PinnedFirstTen, view.Order.Take(10));
        Assert.Equal(view.Order.ToArray(), SequenceView.Permuted(784, Datasets.DefaultPermutationSeed).Order.ToArray());
        Assert.NotEqual(view.Order.ToArray(), SequenceView.Permuted(784, Datasets.DefaultPermutationSeed + 1).Order.ToArray());
    }

    // Pinned: SplitMix64(1234) Fisher-Yates; changing the generator or the shuffle breaks every trained model.
    private static readonly int[] PinnedFirstTen = [99, 30, 646, 280, 369, 50, 667, 666, 189, 511];

    [Fact]
    public void Fill_writes_each_image_in_permuted_order_scaled_to_the_unit_interval()
    {
        var split = Datasets.Load(DatasetRequest.Of(Datasets.MnistEmbedded)).Splits.Test;
        var view = SequenceView.Permuted(784, 11);
        var buffer = new float[3 * 784];
        var labels = new long[3];
        int[] positions = [5, 0, 1999];
        view.Fill(split, positions, buffer, labels);
        for (int b = 0; b < 3; b++)
        {
            var image = split.Image(positions[b]);
            Assert.Equal(split.Label(positions[b]), labels[b]);
            for (int t = 0; t < 784; t++)
                Assert.Equal(image[view.Order[t]] / 255f, buffer[b * 784 + t]);
        }
    }

    [Fact]
    public void Sequential_order_is_the_identity()
    {
        Assert.Equal(Enumerable.Range(0, 784), SequenceView.Sequential(784).Order.ToArray());
        Assert.Null(SequenceView.Sequential(784).PermutationSeed);
    }
}
