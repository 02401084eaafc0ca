using HybridSpike.Core.Numerics;
using static TorchSharp.torch;

namespace HybridSpike.Training.Functional;

/// <summary>
/// An activation f for a (quantized) population: one of the named ones every simulator knows, or a
/// user-supplied tensor function (trainable and quantizable like the others, with its gradient from
/// autograd, but not exportable: an artifact needs a function the golden simulator and the mesh know).
/// </summary>
public sealed record ActivationFunction(string Name, Func<Tensor, Tensor> Apply, Activation? Named)
{
    public static ActivationFunction Of(Activation f) => new(Activations.Name(f), x => Quantizer.Apply(f, x), f);

    /// <summary>A user-supplied activation, e.g. <c>ActivationFunction.Custom("softsign", x => x / (1 + x.abs()))</c>.</summary>
    public static ActivationFunction Custom(string name, Func<Tensor, Tensor> apply) => new(name, apply, null);

    /// <summary>f applied in place where the named form allows it (tensors without gradient).</summary>
    public Tensor ApplyInPlace(Tensor x) => Named is { } f ? Quantizer.ApplyInPlace(f, x) : Apply(x);
}
