using HybridSpike.Core.Numerics;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Functional;

/// <summary>
/// The hidden layer's recurrence h_t = Q(f(zIn_t + W_h h_{t−1})) over a whole sequence, read at the
/// last step, as one autograd function with a hand-written backward pass. Autograd would record
/// five or six nodes per step; here the forward pass is three ops per step (addmm, f in place, the
/// quantizer kernel) and the backward pass two (the gradient through f′, then W_h), with W_h's
/// gradient Σ_t dz_tᵀ h_{t−1} taken as one product at the end. Straight-through: Q is the identity
/// on the backward pass. Tests hold it equal to the autograd loop (values and gradients).
/// </summary>
internal sealed class HiddenRecurrence : autograd.SingleTensorFunction<HiddenRecurrence>
{
    public override string Name => nameof(HiddenRecurrence);

    /// <summary>What the loop needs besides the two differentiable inputs.</summary>
    internal sealed record Options(QuantizedActivation Hidden, Activation Activation, Tensor? Counts);

    /// <summary>Runs the recurrence: <paramref name="zIn"/> [B, T, n] (everything but W_h h), <paramref name="wh"/> [n, n]; returns h_T [B, n].</summary>
    public static Tensor Run(Tensor zIn, Tensor wh, Options options) => apply(zIn, wh, options);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var zIn = (Tensor)vars[0];
        var wh = (Tensor)vars[1];
        var o = (Options)vars[2];
        using var _ = no_grad(); // TorchSharp records inside a function's forward unless told not to
        long batch = zIn.shape[0], steps = zIn.shape[1], units = zIn.shape[2];
        var whT = wh.t();
        var inputs = zIn.unbind(1);
        var h = zeros(batch, units, dtype: zIn.dtype);
        var state = o.Hidden.Enabled ? o.Hidden.StartState(batch) : null;
        var hs = new Tensor[steps];   // h_t
        var fs = o.Hidden.Enabled ? new Tensor[steps] : hs; // f(z_t): equals h_t when not quantized
        for (int t = 0; t < steps; t++)
        {
            var f = Quantizer.ApplyInPlace(o.Activation, torch.addmm(inputs[t], h, whT, 1, 1));
            if (o.Hidden.Enabled)
            {
                fs[t] = f;
                h = empty_like(f);
                QuantizerKernel.Step(f, state!, o.Hidden.Omega, h, o.Counts, t);
            }
            else h = f;
            hs[t] = h;
        }
        // h_{t−1} for every step (zero before the first) and f′(z_t) from f(z_t).
        var previous = cat([zeros(batch, 1, units, dtype: zIn.dtype), stack(hs[..^1], 1)], 1);
        var derivative = Derivative(o.Activation, stack(fs, 1));
        ctx.save_for_backward([previous, derivative, wh]);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var _ = no_grad();
        var saved = ctx.get_saved_variables();
        Tensor previous = saved[0], derivative = saved[1], wh = saved[2];
        long steps = derivative.shape[1];
        var d = derivative.unbind(1);
        var dz = new Tensor[steps];
        var g = gradOutput;
        for (long t = steps - 1; t >= 0; t--)
        {
            dz[t] = g * d[t];          // through f (Q is the identity on the way back)
            g = dz[t].mm(wh);          // into h_{t−1}
        }
        var dzAll = stack(dz, 1);      // [B, T, n]
        long units = wh.shape[0];
        var dWh = dzAll.reshape(-1, units).t().mm(previous.reshape(-1, units));
        return [dzAll, dWh, null!];
    }

    /// <summary>f′ from f: tanh 1 − f², sigmoid f(1 − f), relu [f &gt; 0], linear 1.</summary>
    private static Tensor Derivative(Activation f, Tensor fx) => f switch
    {
        Activation.Tanh => 1 - fx * fx,
        Activation.Sigmoid => fx * (1 - fx),
        Activation.Relu => fx.gt(0).to_type(fx.dtype),
        Activation.Linear => ones_like(fx),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };
}
