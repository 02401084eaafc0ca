namespace HybridSpike.Core.Data;

/// <summary>
/// The psMNIST sequences of a run: the dataset's splits (limited as the config says) and the fixed
/// permutation. No tensors here: training makes its batch tensors from it (HybridSpike.Training's
/// <c>SequenceBatches</c>), the simulators fill plain arrays (<see cref="SequenceView.Fill"/>).
/// </summary>
public sealed class SequenceData
{
    private SequenceData(DataConfig config, Dataset dataset, Split train, Split test, SequenceView view)
    {
        Config = config; Dataset = dataset; Train = train; Test = test; View = view;
    }

    /// <summary>What was loaded: the config with the overrides applied.</summary>
    public DataConfig Config { get; }

    public Dataset Dataset { get; }
    public Split Train { get; }
    /// <summary>The split the epoch log and final metrics use: the test split.</summary>
    public Split Test { get; }
    public SequenceView View { get; }
    public int Steps => View.Length;

    public static SequenceData Load(DataConfig config, string? datasetOverride = null, string? dataDirOverride = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config = config with { Dataset = datasetOverride ?? config.Dataset, DataDirectory = dataDirOverride ?? config.DataDirectory };
        var (name, dir) = (config.Dataset, config.DataDirectory);
        var dataset = Datasets.Load(new DatasetRequest(name, dir), config.SplitSeed);
        var s = dataset.Splits;
        var train = config.TrainLimit > 0 && config.TrainLimit < s.Train.Count ? s.Train with { Indices = s.Train.Indices[..config.TrainLimit] } : s.Train;
        var test = config.TestLimit > 0 && config.TestLimit < s.Test.Count ? s.Test with { Indices = s.Test.Indices[..config.TestLimit] } : s.Test;
        var view = SequenceView.Permuted(s.Train.Source.PixelsPerImage, config.PermutationSeed);
        return new SequenceData(config, dataset, train, test, view);
    }

    /// <summary>The test or training sequences of <paramref name="positions"/> as the simulators read them (<see cref="SequenceView.Doubles"/>).</summary>
    public (double[] Inputs, long[] Labels) Doubles(Split split, ReadOnlySpan<int> positions) => View.Doubles(split, positions);
}
