using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public class BatchingTests
{
    [Fact]
    public void An_epoch_covers_every_position_once_in_batches_of_the_given_size()
    {
        var batches = Batching.Epoch(1050, 100, seed: 1, epoch: 0, dropLast: false).Select(b => b.ToArray()).ToList();
        Assert.Equal(11, batches.Count);
        Assert.All(batches.Take(10), b => Assert.Equal(100, b.Length));
        Assert.Equal(50, batches[^1].Length);
        Assert.Equal(Enumerable.Range(0, 1050), batches.SelectMany(b => b).Order());
    }

    [Fact]
    public void DropLast_leaves_out_the_short_batch()
    {
        Assert.Equal(10, Batching.Epoch(1050, 100, 1, 0, dropLast: true).Count());
    }

    [Fact]
    public void The_same_seed_and_epoch_give_the_same_batches_and_other_epochs_differ()
    {
        static int[] Flat(ulong seed, int epoch) => Batching.Epoch(500, 64, seed, epoch, false).SelectMany(b => b.ToArray()).ToArray();
        Assert.Equal(Flat(3, 2), Flat(3, 2));
        Assert.NotEqual(Flat(3, 2), Flat(3, 3));
        Assert.NotEqual(Flat(3, 2), Flat(4, 2));
    }

    [Fact]
    public void InOrder_is_sequential()
    {
        Assert.Equal(Enumerable.Range(0, 250), Batching.InOrder(250, 100).SelectMany(b => b.ToArray()));
    }
}
