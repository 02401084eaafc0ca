using System.Diagnostics;
using HybridSpike.Core.Data;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using HybridSpike.Training.Schedule;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>Where a run is, reported after every batch (for progress bars).</summary>
public sealed record TrainingProgress(
    int Epoch,
    int Epochs,
    int Batch,
    int BatchesPerEpoch,
    double Loss,
    double Accuracy,
    IReadOnlyDictionary<string, double> Omega);

/// <summary>What a run did.</summary>
/// <param name="Interrupted">True when cancellation stopped it; the checkpoint holds where it stopped.</param>
public sealed record TrainingResult(
    IReadOnlyList<EpochRecord> History,
    string Checkpoint,
    bool Interrupted,
    long Parameters,
    double SamplesPerSecond);

/// <summary>A run that has to stop: NaN loss, for example. The last good checkpoint is kept.</summary>
public sealed class TrainingStoppedException(string message) : Exception(message);

/// <summary>
/// The training loop: seeded and deterministic, ω moved every batch along the schedule, Adam,
/// cross-entropy on the last step's readout, one dispose scope per batch, an evaluation and an
/// atomic checkpoint every epoch; cancellation saves and returns.
/// </summary>
public sealed class Trainer
{
    private readonly TrainingConfig _config;
    private readonly string _outputDirectory;

    public Trainer(TrainingConfig config, string outputDirectory)
    {
        var errors = config.Validate();
        if (errors.Count > 0) throw new ConfigException(string.Join("; ", errors));
        _config = config;
        _outputDirectory = outputDirectory;
    }

    public string CheckpointPath => Path.Combine(_outputDirectory, Checkpoint.FileName);

    /// <summary>Runs (or resumes) training on a worker thread.</summary>
    public Task<TrainingResult> RunAsync(SequenceData data, bool resume, IProgress<TrainingProgress>? progress, CancellationToken cancel) =>
        Task.Factory.StartNew(() => Run(data, resume, progress, cancel), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public TrainingResult Run(SequenceData data, bool resume, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        if (_config.ValidateAgainst(data) is { Count: > 0 } mismatches)
            throw new ConfigException($"config {_config.Name}: " + string.Join("; ", mismatches));
        TorchRuntime.EnsureInitialized(_config.Training.Threads > 0 ? _config.Training.Threads : null);
        Checkpoint.RemoveStaleTemporaries(CheckpointPath);   // an interrupted save's leftovers (a live save of another process is kept)
        var t = _config.Training;
        using var model = SequenceModel.Create(_config.Model, (long)t.Seed);
        using var optimizer = optim.Adam(model.parameters(), lr: t.LearningRate);
        var schedule = OmegaSchedule.From(_config.Schedule);
        var learningRate = LearningRateSchedule.From(t);
        int batchesPerEpoch = BatchesPerEpoch(data.Train.Count);
        long totalBatches = (long)batchesPerEpoch * t.Epochs;

        var state = new CheckpointState(_config.ToJson(), 0, 0, 0, 0, 0, 0, [], TorchRuntime.Version);
        if (resume)
        {
            if (!File.Exists(CheckpointPath)) throw new FileNotFoundException($"{CheckpointPath}: no checkpoint to resume from", CheckpointPath);
            // The config is compared before any weight is read: a different model would otherwise fail as a shape mismatch.
            var savedState = Checkpoint.ReadState(CheckpointPath);   // the digest and the state's fields checked
            var saved = TrainingConfig.Parse(savedState.ConfigJson, CheckpointPath);
            if (ConfigDifferences.Between(saved, _config) is { Count: > 0 } differences)
                throw new ConfigException($"{CheckpointPath}: this run's config differs from the checkpoint's in {string.Join("; ", differences)}; " +
                    "resume with the checkpoint's config, or start a new run in another --out (nothing was changed)");
            // Only here is the data known: a position past the epoch's end would skip the whole epoch's batches.
            if (savedState.BatchInEpoch >= batchesPerEpoch)
                throw new InvalidDataException($"{CheckpointPath}: corrupt checkpoint state: batchInEpoch {savedState.BatchInEpoch} is not below the " +
                    $"{batchesPerEpoch} batches of an epoch of this data (nothing was changed)");
            state = Checkpoint.Load(CheckpointPath, model, optimizer);
        }
        else if (File.Exists(CheckpointPath))
        {
            throw new IOException($"{CheckpointPath} exists; pass --resume to continue it or choose another output directory (nothing was overwritten)");
        }

        var history = state.History.ToList();
        long batchesDone = state.BatchesDone;
        var clock = Stopwatch.StartNew();
        long samplesTrained = 0;
        bool interrupted = false;

        for (int epoch = state.Epoch; epoch < t.Epochs && !interrupted; epoch++)
        {
            model.train();
            var epochClock = Stopwatch.StartNew();
            bool resumingThisEpoch = epoch == state.Epoch && state.BatchInEpoch > 0;
            double lossSum = resumingThisEpoch ? state.RunningLoss : 0;
            long correct = resumingThisEpoch ? state.RunningCorrect : 0, seen = resumingThisEpoch ? state.RunningSeen : 0;
            int batchIndex = 0;
            foreach (var positions in Batching.Epoch(data.Train.Count, t.BatchSize, t.Seed, epoch, dropLast: false))
            {
                if (batchIndex >= batchesPerEpoch) break;
                if (resumingThisEpoch && batchIndex < state.BatchInEpoch) { batchIndex++; continue; }
                if (cancel.IsCancellationRequested)
                {
                    interrupted = true;
                    Save(new CheckpointState(_config.ToJson(), epoch, batchIndex, batchesDone, lossSum, correct, seen, history, TorchRuntime.Version), model, optimizer);
                    break;
                }
                using (var scope = NewDisposeScope())
                {
                    model.SetProgress(schedule, OmegaSchedule.Progress(batchesDone, totalBatches));
                    var (x, y) = data.Batch(data.Train, positions.Span);
                    var logits = model.forward(x);
                    var loss = nn.functional.cross_entropy(logits, y);
                    double lossValue = loss.item<float>();
                    if (!double.IsFinite(lossValue))
                        throw new TrainingStoppedException(
                            $"loss became {lossValue} at epoch {epoch + 1}, batch {batchIndex + 1}; stopped. " +
                            (File.Exists(CheckpointPath) ? $"The last good checkpoint is kept: {CheckpointPath}" : "No checkpoint had been written yet."));
                    Step(model, optimizer, loss, learningRate.At(OmegaSchedule.Progress(batchesDone, totalBatches)), t.GradientClip);
                    lossSum += lossValue * positions.Length;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    seen += positions.Length;
                }
                batchIndex++;
                batchesDone++;
                samplesTrained += positions.Length;
                progress?.Report(new TrainingProgress(epoch + 1, t.Epochs, batchIndex, batchesPerEpoch, lossSum / seen, (double)correct / seen, Omegas(model)));
            }
            if (interrupted) break;

            var test = Evaluation.Run(model, data, data.Test, t.BatchSize, cancel: CancellationToken.None);
            using var self = Process.GetCurrentProcess();
            history.Add(new EpochRecord(epoch + 1, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), test.Loss, test.Accuracy, Omegas(model),
                epochClock.Elapsed.TotalSeconds, self.WorkingSet64 / 1048576.0, self.PeakWorkingSet64 / 1048576.0));
            Save(new CheckpointState(_config.ToJson(), epoch + 1, 0, batchesDone, 0, 0, 0, history, TorchRuntime.Version), model, optimizer);
        }
        double rate = samplesTrained / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
        return new TrainingResult(history, CheckpointPath, interrupted, model.ParameterCount(), rate);
    }

    /// <summary>
    /// One optimizer step on <paramref name="loss"/>: the gradients, clipped to a global L2 norm of <paramref name="clip"/> when
    /// given, and the step at <paramref name="learningRate"/>. Returns the gradients' norm before clipping (NaN without it).
    /// </summary>
    internal static double Step(nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, Tensor loss, double learningRate, double? clip)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
        optimizer.zero_grad();
        loss.backward();
        double norm = clip is { } max ? nn.utils.clip_grad_norm_(model.parameters(), max) : double.NaN;
        optimizer.step();
        return norm;
    }

    private int BatchesPerEpoch(int trainCount)
    {
        int all = (trainCount + _config.Training.BatchSize - 1) / _config.Training.BatchSize;
        return _config.Training.MaxBatchesPerEpoch > 0 ? Math.Min(all, _config.Training.MaxBatchesPerEpoch) : all;
    }

    private void Save(CheckpointState state, SequenceModel model, TorchSharp.Modules.OptimizerHelper optimizer) =>
        Checkpoint.Save(CheckpointPath, state, model, optimizer);

    private static IReadOnlyDictionary<string, double> Omegas(SequenceModel model) =>
        model.Quantizers.ToDictionary(q => q.Population, q => q.Activation.Omega);
}
