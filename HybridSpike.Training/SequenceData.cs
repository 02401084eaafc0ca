using HybridSpike.Core.Data;
using HybridSpike.Training.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>
/// The psMNIST pipeline of a run: the dataset's splits (limited as the config says), the fixed
/// permutation, and batch tensors filled from reusable buffers.
/// </summary>
public sealed class SequenceData
{
    private SequenceData(Dataset dataset, Split train, Split test, SequenceView view)
    {
        Dataset = dataset; Train = train; Test = test; View = view;
    }

    public Dataset Dataset { get; }
    public Split Train { get; }
    /// <summary>The split the epoch log and final metrics use: the test split.</summary>
    public Split Test { get; }
    public SequenceView View { get; }
    public int Steps => View.Length;

    public static SequenceData Load(DataConfig config, string? datasetOverride = null, string? dataDirOverride = null)
    {
        var name = datasetOverride ?? config.Dataset;
        var dir = dataDirOverride ?? config.DataDirectory;
        var dataset = Datasets.Load(new DatasetRequest(name, dir), config.SplitSeed);
        var s = dataset.Splits;
        var train = config.TrainLimit > 0 && config.TrainLimit < s.Train.Count ? s.Train with { Indices = s.Train.Indices[..config.TrainLimit] } : s.Train;
        var test = config.TestLimit > 0 && config.TestLimit < s.Test.Count ? s.Test with { Indices = s.Test.Indices[..config.TestLimit] } : s.Test;
        var view = SequenceView.Permuted(s.Train.Source.PixelsPerImage, config.PermutationSeed);
        return new SequenceData(dataset, train, test, view);
    }

    /// <summary>The inputs [batch, steps] and labels [batch] of <paramref name="positions"/> of <paramref name="split"/>.</summary>
    public (Tensor X, Tensor Y) Batch(Split split, ReadOnlySpan<int> positions, ScalarType dtype = ScalarType.Float32)
    {
        var x = new float[positions.Length * Steps];
        var y = new long[positions.Length];
        View.Fill(split, positions, x, y);
        var xt = tensor(x, [positions.Length, Steps]);
        return (dtype == ScalarType.Float32 ? xt : xt.to_type(dtype), tensor(y));
    }
}
