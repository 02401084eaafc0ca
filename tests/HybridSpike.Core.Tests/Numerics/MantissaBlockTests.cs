using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Numerics;

/// <summary>The step kernel against its definition, <see cref="FixedPoint.Accumulate"/>: the same integer sums on every path.</summary>
public class MantissaBlockTests
{
    private static readonly KernelPath[] Paths = [KernelPath.Auto, KernelPath.Scalar, KernelPath.Tiled, KernelPath.RowAdds, KernelPath.DensePairs];

    private static (int[] Mantissas, long[] Payloads) Random(ulong seed, int targets, int sources, int maxMantissa, double density, long maxPayload)
    {
        var g = new SplitMix64(seed);
        var m = new int[targets * sources];
        for (int k = 0; k < m.Length; k++) m[k] = g.NextDouble() < density ? g.NextInt(2 * maxMantissa + 1) - maxMantissa : 0;
        var p = new long[sources];
        for (int j = 0; j < sources; j++)
            p[j] = g.NextInt(3) == 0 ? 0 : (long)Math.Round((2 * g.NextDouble() - 1) * maxPayload);
        return (m, p);
    }

    private static long[] Definition(int targets, int sources, int[] m, long[] p) =>
        [.. Enumerable.Range(0, targets).Select(i => FixedPoint.Accumulate(m.AsSpan(i * sources, sources), p))];

    private static long Events(int targets, int sources, int[] m, long[] p)
    {
        long e = 0;
        for (int i = 0; i < targets; i++)
            for (int j = 0; j < sources; j++) if (m[i * sources + j] != 0 && p[j] != 0) e++;
        return e;
    }

    [Theory]
    [InlineData(1, 1, 127, 4L)]            // the smallest block
    [InlineData(212, 256, 127, 4L)]        // the hsLMU's hidden layer, spike counts
    [InlineData(300, 200, 127, 1L)]        // counts of ±1 only: the multiply-free lists
    [InlineData(70, 301, 127, 64L)]        // dense pairs at the largest payload they take, odd sources, targets not a multiple of 64
    [InlineData(90, 77, 127, 65L)]         // one beyond: dense pairs fall back
    [InlineData(256, 256, 127, 1L << 17)]  // a non-spiking source's payloads, round(a·2^16): several int32 runs
    [InlineData(10, 33, 127, 1L << 40)]    // payloads no int32 run can hold: the int64 column path
    [InlineData(1100, 40, 127, 4L)]        // a long column: row adds
    [InlineData(70, 50, 30000, 100L)]      // 16-bit mantissas
    [InlineData(212, 256, 255, 4L)]        // 9-bit mantissas (Loihi's weights): 16-bit storage, the same AVX-512 paths
    [InlineData(1100, 40, 255, 3L)]        // 9-bit, long columns
    [InlineData(17, 9, 1 << 20, 1000L)]    // 32-bit mantissas
    public void Every_path_gives_exactly_the_definitions_sums_and_counts_the_events(int targets, int sources, int maxMantissa, long maxPayload)
    {
        var (m, p) = Random((ulong)(targets * 131 + sources), targets, sources, maxMantissa, 0.7, maxPayload);
        var block = MantissaBlock.FromRowMajor(targets, sources, m);
        var expected = Definition(targets, sources, m, p);
        foreach (var path in Paths)
        {
            var acc = new long[targets];
            long events = block.Accumulate(p, acc, path);
            Assert.Equal(expected, acc);
            Assert.Equal(Events(targets, sources, m, p), events);
        }
        Assert.Equal(maxMantissa <= 127 ? 1 : maxMantissa <= short.MaxValue ? 2 : 4, block.BytesPerWeight);
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property Any_block_and_payloads_give_the_definitions_sums_on_every_path() =>
        Prop.ForAll(Gen.Choose(1, 140).ToArbitrary(), Gen.Choose(1, 90).ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (targets, sources, seed) =>
        {
            int maxM = seed % 3 == 0 ? 127 : seed % 3 == 1 ? 1 : 3000;
            long maxP = seed % 4 == 0 ? 1L << 30 : seed % 4 == 1 ? 2 : 70_000;
            var (m, p) = Random((ulong)seed, targets, sources, maxM, seed % 5 / 4.0, maxP);
            var block = MantissaBlock.FromRowMajor(targets, sources, m);
            var expected = Definition(targets, sources, m, p);
            return Paths.All(path =>
            {
                var acc = new long[targets];
                block.Accumulate(p, acc, path);
                return acc.SequenceEqual(expected);
            });
        });

    [Fact]
    public void A_large_8_bit_block_stores_one_byte_per_synapse_a_cache_sized_one_keeps_a_second_copy_for_dense_pairs()
    {
        static void Fill(int j, Span<int> col) { for (int i = 0; i < col.Length; i++) col[i] = (i + j) % 255 - 127; }
        var large = MantissaBlock.FromColumns(3000, 1500, Fill);
        Assert.Equal(1, large.BytesPerWeight);
        Assert.InRange(large.Bytes, 3008L * 1500, 3008L * 1500 + 64 + 4 * 1500);
        Assert.Equal((5 + 7) % 255 - 127, large.Mantissa(5, 7));
        var small = MantissaBlock.FromColumns(1000, 300, Fill);
        Assert.InRange(small.Bytes, 1008L * 300, 2 * (1024L * 300 + 64) + 4 * 300 + 4 * 1024);
        var lean = MantissaBlock.FromColumns(1000, 300, Fill, densePairs: false);
        Assert.InRange(lean.Bytes, 1008L * 300, 1008L * 300 + 64 + 4 * 300);
    }

    [Fact]
    public void A_sparse_block_such_as_an_identity_is_stored_as_a_list_of_synapses_and_sums_the_same()
    {
        int n = 256;
        var m = new int[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = i % 2 == 0 ? 64 : 255; // 9-bit mantissas: still a list
        var block = MantissaBlock.FromRowMajor(n, n, m);
        Assert.True(block.IsSparse);
        Assert.Equal(n, block.Synapses);
        Assert.True(block.Bytes < 8L * n * 4, $"{block.Bytes} bytes");
        Assert.Equal(255, block.Mantissa(5, 5));
        Assert.Equal(0, block.Mantissa(5, 6));
        var p = Enumerable.Range(0, n).Select(j => (long)(j % 7 - 3)).ToArray();
        var acc = new long[n];
        long events = block.Accumulate(p, acc);
        Assert.Equal(Definition(n, n, m, p), acc);
        Assert.Equal(p.Count(v => v != 0), events);
    }

    [Fact]
    public void Sums_that_overflow_int64_are_an_error_not_garbage()
    {
        var block = MantissaBlock.FromRowMajor(1, 2, [127, 127]);
        Assert.Throws<OverflowException>(() => block.Accumulate([long.MaxValue / 100, long.MaxValue / 100], new long[1]));
        Assert.Throws<ArgumentException>(() => block.Accumulate([1], new long[1]));
    }
}
