using HybridSpike.Core.Data;
using HybridSpike.Training.Config;
using Xunit;

namespace HybridSpike.Training.Tests.Config;

public sealed class ConfigDifferencesTests
{
    [Fact]
    public void Each_changed_field_is_named_with_both_values()
    {
        var saved = new TrainingConfig();
        var current = saved with
        {
            Model = saved.Model with { Lmu = saved.Model.Lmu with { Hidden = 24 } },
            Training = saved.Training with { LearningRate = 0.01, BatchSize = 20 },
        };
        var d = ConfigDifferences.Between(saved, current);
        Assert.Equal(3, d.Count);
        Assert.Contains(d, x => x.StartsWith("model.lmu.hidden (checkpoint: 212, this run: 24)", StringComparison.Ordinal));
        Assert.Contains(d, x => x.StartsWith("training.batchSize (checkpoint: 100, this run: 20)", StringComparison.Ordinal));
        Assert.Contains(d, x => x.StartsWith("training.learningRate", StringComparison.Ordinal));
    }

    [Fact]
    public void The_name_the_thread_count_and_the_data_folder_may_change_on_resume()
    {
        var saved = new TrainingConfig();
        var current = saved with
        {
            Name = "renamed",
            Training = saved.Training with { Threads = 1 },
            Data = saved.Data with { DataDirectory = "/elsewhere" },
        };
        Assert.Empty(ConfigDifferences.Between(saved, current));
    }

    [Fact]
    public void Identical_configs_have_no_difference()
    {
        var c = new TrainingConfig { Data = new DataConfig { TrainLimit = 10 } };
        Assert.Empty(ConfigDifferences.Between(c, c with { }));
    }
}
