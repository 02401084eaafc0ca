using HybridSpike.Core.Data;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-train-").FullName;

    public TrainerTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A small hsLMU in the parallel form on 1,000 embedded digits: seconds on two cores.</summary>
    private static TrainingConfig Tiny(int epochs = 2) => new()
    {
        Name = "tiny",
        Model = new ModelConfig
        {
            Lmu = new LmuConfig
            {
                Order = 32, Hidden = 48,
                Weights = new LmuWeightsConfig { HiddenKernel = false },
                HiddenQuantizer = new QuantizerConfig { Enabled = true, OmegaStart = 1000, OmegaEnd = 8, Seed = 1 },
            },
        },
        Training = new OptimizationConfig { Epochs = epochs, BatchSize = 50, LearningRate = 3e-3, Seed = 5 },
        Data = new DataConfig { TrainLimit = 1000, TestLimit = 400 },
    };

    private string Out(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_tiny_training_run_beats_chance_within_seconds()
    {
        var config = Tiny(epochs: 3);
        var data = SequenceData.Load(config.Data);
        var result = new Trainer(config, Out("a")).Run(data, resume: false, progress: null, CancellationToken.None);
        Assert.Equal(3, result.History.Count);
        Assert.True(result.History[^1].TestAccuracy > 0.3, $"test accuracy {result.History[^1].TestAccuracy:P1} is not above chance (10%) by a margin");
        Assert.True(File.Exists(result.Checkpoint));
        Assert.Equal(8, result.History[^1].Omega["hidden"], 6); // the schedule reached ω_end
    }

    [Fact]
    public void The_same_seed_gives_the_same_run_and_resuming_continues_it_exactly()
    {
        var config = Tiny(epochs: 2);
        var data = SequenceData.Load(config.Data);
        var whole = new Trainer(config, Out("whole")).Run(data, false, null, CancellationToken.None);
        var again = new Trainer(config, Out("again")).Run(data, false, null, CancellationToken.None);
        Assert.Equal(whole.History.Select(h => h.TrainLoss), again.History.Select(h => h.TrainLoss));

        // Stop after the first epoch's 5th batch, then resume.
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Epoch == 1 && p.Batch == 5) cancel.Cancel(); });
        var first = new Trainer(config, Out("resumed")).Run(data, false, progress, cancel.Token);
        Assert.True(first.Interrupted);
        var resumed = new Trainer(config, Out("resumed")).Run(data, resume: true, null, CancellationToken.None);
        Assert.False(resumed.Interrupted);
        Assert.Equal(whole.History.Select(h => (h.TrainLoss, h.TestLoss)), resumed.History.Select(h => (h.TrainLoss, h.TestLoss)));
    }

    [Fact]
    public void A_new_run_refuses_to_overwrite_an_existing_checkpoint()
    {
        var config = Tiny(epochs: 1) with { Training = Tiny().Training with { Epochs = 1, MaxBatchesPerEpoch = 2 } };
        var data = SequenceData.Load(config.Data);
        new Trainer(config, Out("x")).Run(data, false, null, CancellationToken.None);
        var before = File.ReadAllBytes(Path.Combine(Out("x"), Checkpoint.FileName));
        var e = Assert.Throws<IOException>(() => new Trainer(config, Out("x")).Run(data, false, null, CancellationToken.None));
        Assert.Contains("--resume", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Out("x"), Checkpoint.FileName)));
    }

    [Fact]
    public void An_interrupted_saves_leftover_is_removed_and_a_running_processes_save_is_kept()
    {
        var dir = Directory.CreateDirectory(Out("tmp")).FullName;
        var checkpoint = Path.Combine(dir, Checkpoint.FileName);
        var stale = Path.Combine(dir, $".{Checkpoint.FileName}.{int.MaxValue}.tmp");   // no process has this id
        var live = Path.Combine(dir, $".{Checkpoint.FileName}.{Environment.ProcessId}.tmp");
        var other = Path.Combine(dir, ".notes.12.tmp");
        foreach (var f in new[] { stale, live, other }) File.WriteAllText(f, "partial");
        var removed = Checkpoint.RemoveStaleTemporaries(checkpoint);
        Assert.Equal([stale], removed);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }

    [Fact]
    public void Resuming_with_another_config_names_what_differs_and_leaves_the_checkpoint()
    {
        var config = Tiny(epochs: 1) with { Training = Tiny().Training with { Epochs = 1, MaxBatchesPerEpoch = 2 } };
        var data = SequenceData.Load(config.Data);
        new Trainer(config, Out("other")).Run(data, false, null, CancellationToken.None);
        var before = File.ReadAllBytes(Path.Combine(Out("other"), Checkpoint.FileName));
        var wider = config with { Model = config.Model with { Lmu = config.Model.Lmu with { Hidden = 64 } } };
        var e = Assert.Throws<ConfigException>(() => new Trainer(wider, Out("other")).Run(data, resume: true, null, CancellationToken.None));
        Assert.Contains("model.lmu.hidden (checkpoint: 48, this run: 64)", e.Message);
        var faster = config with { Training = config.Training with { LearningRate = 0.1 } };
        e = Assert.Throws<ConfigException>(() => new Trainer(faster, Out("other")).Run(data, resume: true, null, CancellationToken.None));
        Assert.Contains("training.learningRate", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Out("other"), Checkpoint.FileName)));
    }

    [Fact]
    public void A_NaN_loss_stops_the_run_and_keeps_the_last_good_checkpoint()
    {
        var config = Tiny(epochs: 2) with { Training = Tiny().Training with { Epochs = 2, MaxBatchesPerEpoch = 3, LearningRate = 1e30 } };
        var data = SequenceData.Load(config.Data);
        var e = Assert.Throws<TrainingStoppedException>(() => new Trainer(config, Out("nan")).Run(data, false, null, CancellationToken.None));
        Assert.Contains("loss became", e.Message);
    }

    [Fact]
    public void A_corrupt_checkpoint_is_refused_and_left_as_it_was()
    {
        Directory.CreateDirectory(Out("bad"));
        var path = Path.Combine(Out("bad"), Checkpoint.FileName);
        File.WriteAllText(path, "HSCKPT1\ngarbage");
        var config = Tiny(epochs: 1);
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(config, Out("bad")).Run(SequenceData.Load(config.Data), true, null, CancellationToken.None));
        Assert.Contains(path, e.Message);
        Assert.Equal("HSCKPT1\ngarbage", File.ReadAllText(path));
    }

    [Fact]
    public void No_tensor_outlives_a_training_step()
    {
        var config = Tiny(epochs: 1) with { Training = Tiny().Training with { Epochs = 2, MaxBatchesPerEpoch = 4 }, Data = new DataConfig { TrainLimit = 200, TestLimit = 50 } };
        var data = SequenceData.Load(config.Data);
        // Live tensors on this thread (the trainer runs on the caller's): the same after every batch,
        // and back where they started once the run is over.
        var stats = DisposeScopeManager.Statistics;
        long before = stats.ThreadTotalLiveCount;
        var live = new List<long>();
        new Trainer(config, Out("leak")).Run(data, false, new SynchronousProgress(_ => live.Add(stats.ThreadTotalLiveCount)), CancellationToken.None);
        Assert.Equal(8, live.Count);
        Assert.All(live.Skip(1), n => Assert.Equal(live[1], n));
        Assert.Equal(before, stats.ThreadTotalLiveCount);
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
