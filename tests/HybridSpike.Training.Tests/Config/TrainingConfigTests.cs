using HybridSpike.Training.Config;

namespace HybridSpike.Training.Tests.Config;

public class TrainingConfigTests
{
    [Fact]
    public void The_defaults_are_the_LMU_papers_psMNIST_setup()
    {
        var c = TrainingConfig.Parse("{}", "test");
        Assert.Equal((256, 784.0, 212, "tanh"), (c.Model.Lmu.Order, c.Model.Lmu.Theta, c.Model.Lmu.Hidden, c.Model.Lmu.Activation));
        Assert.Equal((100, 1e-3, 10), (c.Training.BatchSize, c.Training.LearningRate, c.Training.Epochs));
        Assert.False(c.Model.Lmu.Weights.HiddenEncoder || c.Model.Lmu.Weights.MemoryEncoder);
    }

    [Fact]
    public void By_default_the_learning_rate_is_constant_and_gradients_are_not_clipped()
    {
        var c = TrainingConfig.Parse("{}", "test");
        Assert.Equal("constant", c.Training.LearningRateSchedule);
        Assert.Null(c.Training.GradientClip);
    }

    [Theory]
    [InlineData("""{"model":{"lmu":{"theta":0}}}""", "model.lmu.theta")]
    [InlineData("""{"model":{"lmu":{"order":-3}}}""", "model.lmu.order")]
    [InlineData("""{"model":{"lmu":{"activation":"swish"}}}""", "model.lmu.activation")]
    [InlineData("""{"model":{"lmu":{"hiddenQuantizer":{"enabled":true,"omegaEnd":0}}}}""", "model.lmu.hiddenQuantizer.omegaEnd")]
    [InlineData("""{"model":{"lmu":{"memoryQuantizer":{"omegaStart":-1}}}}""", "model.lmu.memoryQuantizer.omegaStart")]
    [InlineData("""{"model":{"kind":"transformer"}}""", "model.kind")]
    [InlineData("""{"training":{"batchSize":0}}""", "training.batchSize")]
    [InlineData("""{"schedule":{"start":0.8,"end":0.2}}""", "schedule.end")]
    [InlineData("""{"model":{"lmu":{"form":"parallel","memoryQuantizer":{"enabled":true}}}}""", "model.lmu.form")]
    [InlineData("""{"model":{"lmu":{"thetta":784}}}""", "thetta")]
    [InlineData("""{"model":{"lmu":{"order":"many"}}}""", "order")]
    [InlineData("""{"training":{"learningRateSchedule":"warmup"}}""", "training.learningRateSchedule")]
    [InlineData("""{"training":{"learningRateSchedule":"cosine","minLearningRate":0.01}}""", "training.minLearningRate")]
    [InlineData("""{"training":{"gradientClip":0}}""", "training.gradientClip")]
    [InlineData("""{"training":{"gradientClip":-1}}""", "training.gradientClip")]
    public void An_invalid_config_is_refused_naming_the_field(string json, string field)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, "my.json"));
        Assert.StartsWith("my.json", e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void A_config_survives_a_JSON_round_trip()
    {
        var c = new TrainingConfig { Name = "x", Model = new ModelConfig { Kind = "gru", Rnn = new RnnConfig { Hidden = 33 } } };
        Assert.Equal(c.ToJson(), TrainingConfig.Parse(c.ToJson(), "round").ToJson());
    }

    [Theory]
    [InlineData("")]
    [InlineData("runs/x")]
    [InlineData("..\\x")]
    [InlineData("..")]
    [InlineData(" x")]
    [InlineData("a\tb")]
    public void A_name_that_is_not_a_plain_file_name_is_refused(string name)
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse($$"""{"name":{{System.Text.Json.JsonSerializer.Serialize(name)}}}""", "my.json"));
        Assert.StartsWith("my.json: name ", e.Message);
    }

    [Fact]
    public void A_name_longer_than_the_limit_is_refused_saying_its_length()
    {
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse($$"""{"name":"{{new string('n', 101)}}"}""", "my.json"));
        Assert.Equal("my.json: name must be 1 to 100 characters, got 101", e.Message);
    }
}
