using HybridSpike.Core.Data;
using HybridSpike.Training.Config;

namespace HybridSpike.Training.Tests.Config;

public sealed class ConfigAgainstDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-config-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TrainingConfig ThreeClasses = new()
    {
        Name = "three",
        Model = new ModelConfig { Classes = 3, Lmu = new LmuConfig { Order = 8, Hidden = 8 } },
        Training = new OptimizationConfig { Epochs = 1, BatchSize = 10 },
        Data = new DataConfig { TrainLimit = 20, TestLimit = 10 },
    };

    [Fact]
    public void Classes_other_than_the_datasets_are_named_with_both_counts()
    {
        var data = SequenceData.Load(ThreeClasses.Data);
        Assert.Equal(["model.classes is 3 but the dataset mnist-embedded has 10 classes"], ThreeClasses.ValidateAgainst(data));
    }

    [Fact]
    public void The_datasets_own_class_count_fits()
    {
        var config = ThreeClasses with { Model = ThreeClasses.Model with { Classes = 10 } };
        Assert.Empty(config.ValidateAgainst(SequenceData.Load(config.Data)));
    }

    [Fact]
    public void The_trainer_refuses_data_with_other_classes_before_writing_anything()
    {
        var data = SequenceData.Load(ThreeClasses.Data);
        var trainer = new Trainer(ThreeClasses, Path.Combine(_dir, "run"));
        var e = Assert.Throws<ConfigException>(() => trainer.Run(data, resume: false, progress: null, CancellationToken.None));
        Assert.Contains("model.classes is 3", e.Message);
        Assert.False(File.Exists(trainer.CheckpointPath));
    }

    [Theory]
    [InlineData(9_000, 0, "data.trainLimit is 9,000 but the training split of mnist-embedded has 8,000 sequences")]
    [InlineData(0, 2_001, "data.testLimit is 2,001 but the test split of mnist-embedded has 2,000 sequences")]
    public void A_limit_larger_than_its_split_is_refused_naming_both_sizes(int trainLimit, int testLimit, string message)
    {
        var config = ThreeClasses with { Model = ThreeClasses.Model with { Classes = 10 }, Data = new DataConfig { TrainLimit = trainLimit, TestLimit = testLimit } };
        Assert.Equal([message], config.ValidateAgainst(SequenceData.Load(config.Data)));
    }

    [Fact]
    public void Limits_equal_to_the_splits_fit()
    {
        var config = ThreeClasses with { Model = ThreeClasses.Model with { Classes = 10 }, Data = new DataConfig { TrainLimit = 8_000, TestLimit = 2_000 } };
        Assert.Empty(config.ValidateAgainst(SequenceData.Load(config.Data)));
    }

    [Fact]
    public void A_batch_too_large_for_the_machines_memory_is_refused_naming_the_batch_size()
    {
        var config = new TrainingConfig
        {
            Model = new ModelConfig { Lmu = new LmuConfig { Order = 1_024, Hidden = 4_096 } },
            Training = new OptimizationConfig { BatchSize = 1_000 },
            Data = new DataConfig { TrainLimit = 1_000, TestLimit = 10 },
        };
        var error = Assert.Single(config.ValidateAgainst(SequenceData.Load(config.Data), memory: 1_000_000_000));
        Assert.StartsWith("training.batchSize 1,000 with this model needs at least 16.4 GB to train", error);
    }

    [Fact]
    public void The_papers_model_fits_in_a_gigabyte()
    {
        var config = new TrainingConfig { Data = new DataConfig { TestLimit = 10 } };
        Assert.Empty(config.ValidateAgainst(SequenceData.Load(config.Data), memory: 1_000_000_000));
    }
}
