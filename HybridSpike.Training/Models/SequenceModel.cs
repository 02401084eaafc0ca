using HybridSpike.Core.Numerics;
using HybridSpike.Training.Config;
using HybridSpike.Training.Functional;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Models;

/// <summary>The integer counts a quantized population emitted over a batch: [batch, step, unit], int32.</summary>
public sealed record PopulationActivity(string Population, Tensor Counts);

/// <summary>A forward pass that also returns every quantized population's counts (evaluation, export checks).</summary>
public sealed record RecordedForward(Tensor Logits, IReadOnlyList<PopulationActivity> Activity);

/// <summary>
/// A population's activation: non-spiking (a = f(x)) or quantized with the current ω. Holds v₀
/// (float64, from the configured seed, the same for every sample) as a buffer so it moves with the
/// module's device and is saved with it.
/// </summary>
public sealed class QuantizedActivation : nn.Module
{
    public QuantizedActivation(string name, ActivationFunction activation, int units, QuantizerConfig config) : base(name)
    {
        Activation = activation;
        Units = units;
        Config = config;
        Omega = config.OmegaStart;
        var mode = config.InitialState == "zeros" ? InitialStateMode.Zeros : InitialStateMode.Uniform;
        InitialStateMode = mode;
        register_buffer("v0", Quantizer.InitialState(units, mode, config.Seed), persistent: true);
    }

    public ActivationFunction Activation { get; }
    public int Units { get; }
    public QuantizerConfig Config { get; }
    public InitialStateMode InitialStateMode { get; }
    public bool Enabled => Config.Enabled;

    /// <summary>The current ω (set by the schedule every batch).</summary>
    public double Omega { get; set; }

    /// <summary>v₀ as a float64 tensor [units].</summary>
    public Tensor InitialState => get_buffer("v0")!; // looked up: module.to() replaces buffers

    /// <summary>The state at the start of a sequence for a batch: [batch, units], float64.</summary>
    public Tensor StartState(long batch) => InitialState.to(ScalarType.Float64).expand(batch, Units).clone();

    /// <summary>
    /// One step of a loop: returns the activity (straight-through when quantized: forward n/ω,
    /// gradient f′). Updates <paramref name="state"/> (from <see cref="StartState"/>) in place and,
    /// when <paramref name="counts"/> ([B, T, N] int32) is given, stores n at <paramref name="step"/>.
    /// </summary>
    public Tensor Step(Tensor x, Tensor? state, Tensor? counts, long step)
    {
        var fx = Activation.Apply(x);
        if (!Enabled) return fx;
        var quantized = empty_like(fx, requires_grad: false);
        using (no_grad()) QuantizerKernel.Step(fx.detach(), state!, Omega, quantized, counts, step);
        return fx + quantized.sub_(fx.detach()); // forward n/ω, gradient of fx; in place: no graph, no allocation
    }

    /// <summary>A [batch, steps, units] int32 buffer for a loop's counts.</summary>
    public Tensor CountsBuffer(long batch, long steps) => zeros(batch, steps, Units, dtype: ScalarType.Int32);
}

/// <summary>A psMNIST-style classifier: [batch, steps] → logits [batch, classes].</summary>
public abstract class SequenceModel : nn.Module<Tensor, Tensor>
{
    protected SequenceModel(string name) : base(name) { }

    /// <summary>The quantized activations, by population name (empty for the baselines).</summary>
    public abstract IReadOnlyList<(string Population, QuantizedActivation Activation)> Quantizers { get; }

    /// <summary>Forward pass that also returns the counts of every enabled quantizer.</summary>
    public abstract RecordedForward Record(Tensor x);

    /// <summary>Moves every quantizer's ω along the schedule to training progress <paramref name="progress"/> ∈ [0, 1].</summary>
    public void SetProgress(Schedule.OmegaSchedule schedule, double progress)
    {
        foreach (var (_, q) in Quantizers)
            q.Omega = schedule.Omega(q.Config.OmegaStart, q.Config.OmegaEnd, progress);
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Builds the model a config describes.</summary>
    public static SequenceModel Create(ModelConfig config, long seed) => config.Kind switch
    {
        "lmu" => new LmuModel(config.Lmu, config.Classes, seed),
        "lstm" or "gru" => new RnnModel(config.Kind, config.Rnn.Hidden, config.Classes, seed),
        _ => throw new ConfigException($"model.kind: unknown model '{config.Kind}'"),
    };
}
