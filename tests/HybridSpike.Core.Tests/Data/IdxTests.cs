using System.Collections.Immutable;
using System.IO.Compression;
using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IdxArray Sample() =>
        new([3, 2, 4], Enumerable.Range(0, 24).Select(i => (byte)(i * 7)).ToArray());

    [Theory]
    [InlineData("a.idx")]
    [InlineData("a.idx.gz")]
    public void A_written_file_reads_back_the_same(string name)
    {
        var path = Path.Combine(_dir, name);
        Idx.Write(path, Sample());
        var back = Idx.Read(path);
        Assert.Equal(Sample().Dimensions.ToArray(), back.Dimensions.ToArray());
        Assert.Equal(Sample().Data.ToArray(), back.Data.ToArray());
    }

    [Fact]
    public void The_header_is_the_standard_big_endian_layout()
    {
        var ms = new MemoryStream();
        Idx.Write(ms, Sample());
        Assert.Equal(new byte[] { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4 }, ms.ToArray()[..16]);
    }

    private string WriteRaw(byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(_dir, gzip ? "f.gz" : "f.idx");
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        return path;
    }

    private static byte[] Encoded()
    {
        var ms = new MemoryStream();
        Idx.Write(ms, Sample());
        return ms.ToArray();
    }

    [Fact]
    public void A_truncated_file_is_refused_with_the_sizes()
    {
        var path = WriteRaw(Encoded()[..^5]);
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("24", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_truncated_header_is_refused()
    {
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(WriteRaw(Encoded()[..9])));
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void A_wrong_magic_number_is_refused()
    {
        var bytes = Encoded();
        bytes[0] = 0x12;
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(WriteRaw(bytes)));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void An_unsupported_data_type_is_refused()
    {
        var bytes = Encoded();
        bytes[2] = 0x0D; // float
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(WriteRaw(bytes)));
        Assert.Contains("0x0D", e.Message);
    }

    [Fact]
    public void Extra_bytes_after_the_data_are_refused()
    {
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(WriteRaw([.. Encoded(), 1, 2, 3])));
        Assert.Contains("3 bytes beyond", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_is_refused()
    {
        var path = WriteRaw(Encoded(), gzip: true);
        var whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        Assert.Throws<DataFormatException>(() => Idx.Read(path));
    }

    [Fact]
    public void A_corrupt_gzip_file_is_refused()
    {
        var path = WriteRaw(Encoded(), gzip: true);
        var bytes = File.ReadAllBytes(path);
        for (int i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        Assert.Throws<DataFormatException>(() => Idx.Read(path));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(_dir, "nope.idx");
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Images_and_labels_of_different_counts_are_refused()
    {
        var images = new IdxArray([2, 2, 2], new byte[8]);
        var labels = new IdxArray([3], new byte[3]);
        var e = Assert.Throws<DataFormatException>(() => LabeledImages.FromIdx("x", images, labels));
        Assert.Contains("2 images but 3 labels", e.Message);
    }

    [Fact]
    public void A_label_outside_the_classes_is_refused()
    {
        var images = new IdxArray([1, 2, 2], new byte[4]);
        var labels = new IdxArray([1], new byte[] { 10 });
        Assert.Throws<DataFormatException>(() => LabeledImages.FromIdx("x", images, labels));
    }
}
