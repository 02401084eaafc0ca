using HybridSpike.Core.Data;
using HybridSpike.Core.Artifact;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using HybridSpike.Training.Schedule;

namespace HybridSpike.Training;

/// <summary>The end of a run: its evaluation with metrics, and the artifact's path (null for the LSTM and GRU).</summary>
public sealed record FinishedRun(ModelEvaluation Evaluation, string? Artifact);

/// <summary>A model rebuilt from a checkpoint, with the config it was trained with.</summary>
public sealed record TrainedModel(SequenceModel Model, TrainingConfig Config, CheckpointState State) : IDisposable
{
    /// <summary>The artifact's file name in a training output directory.</summary>
    public const string ArtifactFileName = ArtifactFile.DefaultFileName;

    /// <summary>Rebuilds the model from the checkpoint's config, loads its weights and sets ω where the schedule ended.</summary>
    public static TrainedModel Load(string checkpoint)
    {
        var state = Checkpoint.ReadState(checkpoint);
        var config = TrainingConfig.Parse(state.ConfigJson, checkpoint);
        TorchRuntime.EnsureInitialized(config.Training.Threads > 0 ? config.Training.Threads : null);
        var model = SequenceModel.Create(config.Model, (long)config.Training.Seed);
        try
        {
            Checkpoint.Load(checkpoint, model, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.SetProgress(OmegaSchedule.From(config.Schedule), 1.0);
        return new TrainedModel(model, config, state);
    }

    /// <summary>
    /// The end of a run: evaluates on the test split with the activity metrics and, for an LMU,
    /// writes the deployment artifact (with those metrics) to <paramref name="directory"/>.
    /// </summary>
    public FinishedRun Finish(SequenceData data, string directory)
    {
        var eval = ModelMetrics.Evaluate(Model, data, data.Test, Config.Training.BatchSize);
        if (Model is not LmuModel lmu) return new FinishedRun(eval, null);
        var metrics = new Dictionary<string, double> { ["test-accuracy"] = eval.Result.Accuracy, ["test-loss"] = eval.Result.Loss };
        if (eval.Metrics?.Overall.ActivityBits is { } ab) metrics["activity-bits"] = ab;
        if (eval.Metrics?.Overall.ActivityBitsPerSequence is { } abs) metrics["activity-bits-per-sequence"] = abs;
        if (eval.Metrics?.Overall.SignificantBits is { } sb) metrics["significant-bits"] = sb;
        var path = Path.Combine(directory, ArtifactFileName);
        ArtifactFile.Write(path, Export.Artifact(lmu, Config, State.History.Count, metrics));
        return new FinishedRun(eval, path);
    }

    public void Dispose() => Model.Dispose();
}
