using System.Collections.Immutable;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Data;

/// <summary>
/// Images as pixel sequences: step t of image i is pixel <c>Order[t]</c>, scaled to [0, 1] by /255.
/// psMNIST uses one fixed seeded permutation of the 784 pixels for every image; the identity
/// order gives sequential MNIST.
/// </summary>
public sealed record SequenceView
{
    private SequenceView(ImmutableArray<int> order, ulong? seed)
    {
        Order = order;
        PermutationSeed = seed;
    }

    /// <summary>Pixel index read at each step.</summary>
    public ImmutableArray<int> Order { get; }

    /// <summary>The seed of the permutation, or null for the identity (sequential) order.</summary>
    public ulong? PermutationSeed { get; }

    public int Length => Order.Length;

    /// <summary>The identity order: sequential MNIST.</summary>
    public static SequenceView Sequential(int length) => new(Enumerable.Range(0, length).ToImmutableArray(), null);

    /// <summary>One fixed permutation drawn by Fisher-Yates from <see cref="SplitMix64"/> with <paramref name="seed"/>.</summary>
    public static SequenceView Permuted(int length, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var order = Enumerable.Range(0, length).ToArray();
        new SplitMix64(seed).Shuffle(order.AsSpan());
        return new SequenceView(ImmutableArray.Create(order), seed);
    }

    /// <summary>
    /// Writes the sequences of the images at <paramref name="positions"/> of <paramref name="split"/>
    /// into <paramref name="destination"/>, laid out [batch, step] (row-major), and their labels into
    /// <paramref name="labels"/>. The caller owns both buffers so they can be reused across batches.
    /// </summary>
    public void Fill(Split split, ReadOnlySpan<int> positions, Span<float> destination, Span<long> labels)
    {
        if (split.Source.PixelsPerImage != Length)
            throw new ArgumentException($"{split.Source.Name}: images have {split.Source.PixelsPerImage} pixels, the sequence view {Length}", nameof(split));
        if (destination.Length < positions.Length * Length)
            throw new ArgumentException($"destination holds {destination.Length} floats, {positions.Length * Length} needed", nameof(destination));
        if (labels.Length < positions.Length)
            throw new ArgumentException($"labels holds {labels.Length}, {positions.Length} needed", nameof(labels));
        var order = Order.AsSpan();
        for (int b = 0; b < positions.Length; b++)
        {
            var image = split.Image(positions[b]);
            var row = destination.Slice(b * Length, Length);
            for (int t = 0; t < row.Length; t++) row[t] = image[order[t]] / 255f; // a division, not a multiply by 1/255: exactly pixel/255 rounded once
            labels[b] = split.Label(positions[b]);
        }
    }

    /// <summary>
    /// The sequences of <paramref name="positions"/> as the simulators read them, [batch, step]: float32(pixel/255)
    /// (<see cref="Fill"/>, as training sees them) widened to float64, not pixel/255 computed in float64, so that
    /// the golden models and the mesh see the trained network's inputs bit for bit (docs/artifact.md); and their labels.
    /// </summary>
    public (double[] Inputs, long[] Labels) Doubles(Split split, ReadOnlySpan<int> positions)
    {
        var x = new float[positions.Length * Length];
        var labels = new long[positions.Length];
        Fill(split, positions, x, labels);
        return (Array.ConvertAll(x, v => (double)v), labels);
    }
}

/// <summary>Deterministic batching: each epoch is a seeded shuffle of the split's positions, cut into batches.</summary>
public static class Batching
{
    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> over <paramref name="count"/> items: positions
    /// 0..count-1 shuffled by a generator derived from (<paramref name="seed"/>, epoch), cut into
    /// batches of <paramref name="batchSize"/>; the last one is shorter unless <paramref name="dropLast"/>.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<int>> Epoch(int count, int batchSize, ulong seed, int epoch, bool dropLast)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = Enumerable.Range(0, count).ToArray();
        SplitMix64.Derive(seed, (ulong)epoch).Shuffle(order.AsSpan());
        for (int start = 0; start < count; start += batchSize)
        {
            int size = Math.Min(batchSize, count - start);
            if (size < batchSize && dropLast) yield break;
            yield return order.AsMemory(start, size);
        }
    }

    /// <summary>Positions 0..count-1 in order, in batches (for evaluation).</summary>
    public static IEnumerable<ReadOnlyMemory<int>> InOrder(int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var order = Enumerable.Range(0, count).ToArray();
        for (int start = 0; start < count; start += batchSize)
            yield return order.AsMemory(start, Math.Min(batchSize, count - start));
    }
}
