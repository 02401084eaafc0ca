using HybridSpike.Core.Data;
using HybridSpike.Core.Numerics;
using HybridSpike.Training.Functional;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests.Functional;

public class QuantizerTests
{
    public QuantizerTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void A_tensor_step_gives_the_same_counts_and_state_as_the_Core_quantizer()
    {
        using var _ = NewDisposeScope();
        var g = new SplitMix64(2);
        var fx = Enumerable.Range(0, 50).Select(_ => 2 * g.NextDouble() - 1).ToArray();
        var v0 = SigmaDelta.InitialState(50, InitialStateMode.Uniform, 9);
        var (n, v) = Quantizer.Step(tensor(v0), tensor(fx), 3.7);
        var coreV = (double[])v0.Clone();
        var coreN = new int[50];
        SigmaDelta.Step(coreV, fx, 3.7, coreN);
        Assert.Equal(coreN.Select(c => (double)c), n.data<double>().ToArray());
        Assert.Equal(coreV, v.data<double>().ToArray());
    }

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Linear)]
    public void The_straight_through_gradient_equals_f_prime(Activation f)
    {
        using var _ = NewDisposeScope();
        double[] xs = [-1.3, -0.2, 0.4, 2.1];
        var x = tensor(xs, requires_grad: true);
        var fx = Quantizer.Apply(f, x);
        var (n, _) = Quantizer.Step(zeros(4, dtype: ScalarType.Float64), fx, 2.0);
        var a = Quantizer.StraightThrough(fx, n, 2.0);
        Assert.Equal(n.data<double>().Select(c => c / 2.0), a.data<double>().ToArray()); // forward: n/ω
        a.sum().backward();
        var grad = x.grad!.data<double>().ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(Activations.Derivative(f, xs[i]), grad[i], 12);
    }

    [Fact]
    public void The_closed_form_equals_the_step_by_step_counts_in_float64()
    {
        using var _ = NewDisposeScope();
        var fx = rand(3, 200, 7, dtype: ScalarType.Float64) * 2 - 1; // [B, T, N]
        var v0 = Quantizer.InitialState(7, InitialStateMode.Uniform, 4);
        var closed = Quantizer.ClosedForm(fx, v0, 5.5, timeDim: 1);
        var v = v0.expand(3, 7).clone();
        for (int t = 0; t < 200; t++)
        {
            var (n, next) = Quantizer.Step(v, fx.select(1, t), 5.5);
            Assert.True(n.eq(closed.select(1, t)).all().item<bool>());
            v = next;
        }
    }
}

public class ActivationFunctionTests
{
    public ActivationFunctionTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void A_user_supplied_activation_is_quantized_with_its_own_straight_through_gradient()
    {
        using var _ = NewDisposeScope();
        var softsign = ActivationFunction.Custom("softsign", x => x / (x.abs() + 1));
        var q = new HybridSpike.Training.Models.QuantizedActivation("h", softsign, 3, new HybridSpike.Training.Config.QuantizerConfig { Enabled = true, OmegaStart = 4, OmegaEnd = 4 });
        var x = tensor(new[] { -2.0, 0.5, 3.0 }, requires_grad: true);
        var state = zeros(1, 3, dtype: ScalarType.Float64);
        var a = q.Step(x.unsqueeze(0), state, null, 0);
        // v₀ = 0: n = ⌊4·f(x)⌋ for f = softsign: ⌊−2.67⌋, ⌊1.33⌋, ⌊3⌋
        Assert.Equal(new[] { -3 / 4.0, 1 / 4.0, 3 / 4.0 }, a.data<double>().ToArray());
        a.sum().backward();
        var grad = x.grad!.data<double>().ToArray();
        double[] expected = [1 / 9.0, 1 / 2.25, 1 / 16.0]; // softsign′ = 1/(1+|x|)²
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], grad[i], 12);
    }

    [Fact]
    public void An_LMU_with_a_user_supplied_activation_trains_but_refuses_export()
    {
        using var _ = NewDisposeScope();
        var config = new HybridSpike.Training.Config.LmuConfig { Order = 4, Hidden = 3, Weights = new HybridSpike.Training.Config.LmuWeightsConfig { HiddenKernel = false } };
        using var model = new HybridSpike.Training.Models.LmuModel(config, 2, 0, ActivationFunction.Custom("sin", x => x.sin()));
        nn.functional.cross_entropy(model.forward(rand(2, 10)), tensor(new long[] { 0, 1 })).backward();
        Assert.NotNull(model.parameters().First().grad);
        var e = Assert.Throws<InvalidOperationException>(() => { Export.Network(model, new HybridSpike.Core.Data.DataConfig()); });
        Assert.Contains("sin", e.Message);
    }
}
