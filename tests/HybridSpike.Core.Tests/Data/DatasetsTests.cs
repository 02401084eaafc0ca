using System.Collections.Immutable;
using HybridSpike.Core.Data;

namespace HybridSpike.Core.Tests.Data;

public sealed class DatasetsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-ds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a standard four-file MNIST-shaped directory from the embedded digits.</summary>
    private void WriteStandardFiles(int trainCount, bool gzip)
    {
        var set = EmbeddedMnist.Load();
        string ext = gzip ? ".gz" : "";
        void Write(string stem, int from, int count)
        {
            Idx.Write(Path.Combine(_dir, $"{stem}-images-idx3-ubyte{ext}"),
                new IdxArray([count, 28, 28], set.Pixels.Slice(from * 784, count * 784)));
            Idx.Write(Path.Combine(_dir, $"{stem}-labels-idx1-ubyte{ext}"),
                new IdxArray([count], set.Labels.Slice(from, count)));
        }
        // Interleave by taking a slice: the labels are class-sorted, which is fine for loading.
        Write("train", 0, trainCount);
        Write("t10k", trainCount, 10_000 - trainCount);
    }

    [Fact]
    public void A_directory_of_standard_IDX_files_loads_as_mnist_with_the_50k_protocol()
    {
        // Any directory of the four standard files works; the Debian Fashion-MNIST one is such a directory.
        var d = Datasets.Load(new DatasetRequest(Datasets.Mnist, Datasets.DebianFashionMnistDirectory));
        Assert.Equal((50_000, 10_000, 10_000), (d.Splits.Train.Count, d.Splits.Validation.Count, d.Splits.Test.Count));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Too_few_training_images_for_the_50k_protocol_are_refused(bool gzip)
    {
        WriteStandardFiles(8_000, gzip);
        var e = Assert.Throws<DataFormatException>(() => Datasets.Load(new DatasetRequest(Datasets.Mnist, _dir)));
        Assert.Contains("8000 images", e.Message);
    }

    [Fact]
    public void A_missing_file_in_the_data_directory_is_named()
    {
        WriteStandardFiles(8_000, gzip: true);
        File.Delete(Path.Combine(_dir, "t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DataFormatException>(() => Datasets.LoadStandardPair("mnist", _dir, 1));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void Mnist_without_a_data_directory_says_what_it_needs()
    {
        var e = Assert.Throws<ArgumentException>(() => Datasets.Load(DatasetRequest.Of(Datasets.Mnist)));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void An_unknown_dataset_lists_the_valid_names()
    {
        var e = Assert.Throws<ArgumentException>(() => Datasets.Load(DatasetRequest.Of("cifar")));
        Assert.Contains("mnist-embedded, mnist, fashion-mnist", e.Message);
    }

    [Fact]
    public void Fashion_mnist_from_the_Debian_package_loads_with_the_50k_10k_10k_protocol()
    {
        // .ci/run installs dataset-fashion-mnist; this is the full 70,000-image set.
        var d = Datasets.Load(DatasetRequest.Of(Datasets.FashionMnist));
        var s = d.Splits;
        Assert.Equal((50_000, 10_000, 10_000), (s.Train.Count, s.Validation.Count, s.Test.Count));
        Assert.Equal(Enumerable.Repeat(1_000, 10), s.Test.ClassCounts());
        Assert.Equal(Enumerable.Repeat(6_000, 10),
            s.Train.ClassCounts().Zip(s.Validation.ClassCounts(), (a, b) => a + b));
        Assert.Empty(s.Train.Indices.Intersect(s.Validation.Indices));
    }
}
