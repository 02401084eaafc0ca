using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchSharp_loads_and_computes_a_gradient_in_the_test_process()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, x.grad!.data<double>().ToArray());
    }

    [Fact]
    public void A_dispose_scope_frees_every_tensor_made_inside_it()
    {
        TorchRuntime.EnsureInitialized();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (NewDisposeScope())
        {
            var a = randn(64, 64);
            var b = a.matmul(a).tanh();
            Assert.True(b.sum().item<float>() is float f && !float.IsNaN(f));
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
