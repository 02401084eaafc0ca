using HybridSpike.Training.Functional;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests.Functional;

public class QuantizerKernelTests
{
    public QuantizerKernelTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void The_kernel_is_bit_identical_to_the_tensor_quantizer(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        manual_seed(3);
        var v = rand(7, 33, dtype: ScalarType.Float64);
        var counts = zeros(7, 5, 33, dtype: ScalarType.Int32);
        var vTensor = v.clone();
        for (int t = 0; t < 5; t++)
        {
            var fx = (randn(7, 33) * 3).to_type(dtype);
            var (n, next) = Quantizer.Step(vTensor, fx, 2.7);
            var activity = empty_like(fx);
            QuantizerKernel.Step(fx, v, 2.7, activity, counts, t);
            Assert.True(v.eq(next).all().item<bool>(), "state differs");
            Assert.True(counts.select(1, t).eq(n.to_type(ScalarType.Int32)).all().item<bool>(), "counts differ");
            Assert.True(activity.eq((n / 2.7).to_type(dtype)).all().item<bool>(), "activity differs");
            vTensor = next;
        }
    }

    [Fact]
    public void The_kernel_refuses_a_float32_state()
    {
        using var _ = NewDisposeScope();
        var x = zeros(2, 2);
        Assert.Throws<ArgumentException>(() => QuantizerKernel.Step(x, zeros(2, 2), 1, empty_like(x), null, 0));
    }
}
