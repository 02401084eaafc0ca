using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests;

/// <summary>One optimizer step: the learning rate it is given, and the gradients clipped to the norm asked for.</summary>
public sealed class TrainerStepTests
{
    public TrainerStepTests() => TorchRuntime.EnsureInitialized();

    private static double GradientNorm(nn.Module model) =>
        Math.Sqrt(model.parameters().Sum(p => p.grad is { } g ? g.pow(2).sum().item<float>() : 0));

    [Fact]
    public void Gradients_are_clipped_to_the_norm_before_the_step()
    {
        using var scope = NewDisposeScope();
        var model = nn.Linear(4, 3);
        var optimizer = optim.SGD(model.parameters(), 1.0);
        var loss = model.forward(ones(8, 4) * 100).pow(2).sum();
        double before = Trainer.Step(model, optimizer, loss, 0.5, clip: 0.1);
        Assert.True(before > 0.1, $"the gradients' norm was {before}, the test needs one above the clip");
        Assert.Equal(0.1, GradientNorm(model), 4);
    }

    [Fact]
    public void Without_a_clip_the_gradients_are_left_as_they_are()
    {
        using var scope = NewDisposeScope();
        var model = nn.Linear(4, 3);
        var optimizer = optim.SGD(model.parameters(), 1.0);
        var loss = model.forward(ones(8, 4) * 100).pow(2).sum();
        Assert.True(double.IsNaN(Trainer.Step(model, optimizer, loss, 0.5, clip: null)));
        Assert.True(GradientNorm(model) > 1, "unclipped gradients of this loss are large");
    }

    [Fact]
    public void The_step_uses_the_learning_rate_it_is_given()
    {
        using var scope = NewDisposeScope();
        var model = nn.Linear(1, 1, hasBias: false);
        using (no_grad()) model.weight!.copy_(tensor(new float[,] { { 2 } }));
        var optimizer = optim.SGD(model.parameters(), 1.0);
        // loss = w·1, so dloss/dw = 1 and plain SGD moves w by −lr.
        Trainer.Step(model, optimizer, model.forward(ones(1, 1)).sum(), 0.25, clip: null);
        Assert.Equal(1.75f, model.weight!.item<float>(), 6);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.25, g.LearningRate));
    }
}
