using HybridSpike.Core.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Functional;

/// <summary>
/// The Sigma-Delta quantizer on tensors: the equations of <see cref="SigmaDelta"/> (HybridSpike.Core),
/// which the golden simulator runs and which the tests hold this to:
/// <c>v ← v + ω·f(x); n = ⌊v⌋; v ← v − n; a = n/ω</c>, straight-through gradient f′(x).
/// Every function here is pure: state goes in and comes out.
/// </summary>
public static class Quantizer
{
    /// <summary>The named activation on a tensor.</summary>
    public static Tensor Apply(Activation f, Tensor x) => f switch
    {
        Activation.Linear => x,
        Activation.Relu => nn.functional.relu(x),
        Activation.Tanh => x.tanh(),
        Activation.Sigmoid => x.sigmoid(),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    /// <summary>The named activation applied in place (no graph; for tensors computed without gradient).</summary>
    public static Tensor ApplyInPlace(Activation f, Tensor x) => f switch
    {
        Activation.Linear => x,
        Activation.Relu => x.relu_(),
        Activation.Tanh => x.tanh_(),
        Activation.Sigmoid => x.sigmoid_(),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    /// <summary>
    /// One step without gradient: returns the integer counts n (same dtype as <paramref name="fx"/>)
    /// and the new state. <paramref name="v"/> is not modified.
    /// </summary>
    public static (Tensor Counts, Tensor State) Step(Tensor v, Tensor fx, double omega)
    {
        using var _ = no_grad();
        var s = v + fx.detach().to(v.dtype) * omega;
        var n = s.floor();
        return (n, s - n);
    }

    /// <summary>
    /// The straight-through activity: forward value <c>n/ω</c>, gradient that of <paramref name="fx"/>
    /// (so f′(x) flows back, nothing through the state).
    /// </summary>
    public static Tensor StraightThrough(Tensor fx, Tensor counts, double omega) =>
        fx + (counts.to(fx.dtype) / omega - fx.detach());

    /// <summary>
    /// All counts of a sequence at once (closed form): with S_t = Σ_{s≤t} f(x_s) in float64,
    /// n_t = ⌊v₀ + ω·S_t⌋ − ⌊v₀ + ω·S_{t−1}⌋. <paramref name="fx"/> is [batch, steps, units] or
    /// [batch, units, steps] with <paramref name="timeDim"/> naming the step axis; v₀ broadcasts over units.
    /// </summary>
    public static Tensor ClosedForm(Tensor fx, Tensor v0, double omega, long timeDim)
    {
        using var _ = no_grad();
        var level = (fx.to_type(ScalarType.Float64).cumsum(timeDim) * omega + v0).floor();
        var before = level.narrow(timeDim, 0, level.shape[timeDim] - 1);
        var first = level.narrow(timeDim, 0, 1) - v0.floor(); // ⌊v₀⌋ = 0 for v₀ in [0, 1)
        return cat([first, level.narrow(timeDim, 1, level.shape[timeDim] - 1) - before], timeDim);
    }

    /// <summary>v₀ of <paramref name="units"/> units as a float64 tensor (SplitMix64 draws, as the golden model).</summary>
    public static Tensor InitialState(int units, InitialStateMode mode, ulong seed) =>
        tensor(SigmaDelta.InitialState(units, mode, seed), ScalarType.Float64);
}
