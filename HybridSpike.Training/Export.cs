using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training;

/// <summary>
/// Turns a trained LMU into the deployment network: the memory becomes a linear population with
/// Ā (+ B̄e_m) as its one-step recurrent weights and B̄e_x on its input connection, the hidden layer
/// a population with W_x, W_m (same step) and W_h (one step), the readout a linear output
/// population read at the last step. Weights are the trained float32 values widened to float64.
/// </summary>
public static class Export
{
    public const string Memory = "memory";
    public const string Hidden = "hidden";
    public const string Output = "output";

    /// <summary>The network of <paramref name="model"/>, its input named as the sequences of <paramref name="data"/> (dataset, split, permutation).</summary>
    public static NetworkDescription Network(LmuModel model, DataConfig data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ulong permutationSeed = data.PermutationSeed;
        var c = model.Config;
        int d = c.Order, n = c.Hidden;
        var w = model.Weights().ToDictionary(kv => kv.Key, kv => Values(kv.Value));
        var aBar = model.Memory.A;
        var bBar = model.Memory.B;
        var conns = ImmutableArray.CreateBuilder<Connection>();

        if (w.TryGetValue("e_x", out var ex))
            conns.Add(new Connection(NetworkDescription.InputName, Memory, Dense(Matrix.Create(d, 1, (i, _) => bBar[i, 0] * ex[0])), Delay.SameStep));
        var recurrent = w.TryGetValue("e_m", out var em) ? Matrix.Create(d, d, (i, j) => aBar[i, j] + bBar[i, 0] * em[j]) : aBar;
        conns.Add(new Connection(Memory, Memory, Dense(recurrent), Delay.OneStep));
        if (w.TryGetValue("e_h", out var eh))
            conns.Add(new Connection(Hidden, Memory, Dense(Matrix.Create(d, n, (i, j) => bBar[i, 0] * eh[j])), Delay.OneStep));
        if (w.TryGetValue("w_x", out var wx))
            conns.Add(new Connection(NetworkDescription.InputName, Hidden, Dense(Matrix.Create(n, 1, wx)), Delay.SameStep));
        if (w.TryGetValue("w_m", out var wm))
            conns.Add(new Connection(Memory, Hidden, Dense(Matrix.Create(n, d, wm)), Delay.SameStep));
        if (w.TryGetValue("w_h", out var wh))
            conns.Add(new Connection(Hidden, Hidden, Dense(Matrix.Create(n, n, wh)), Delay.OneStep));
        int classes = (int)model.Weights()["readout.bias"].shape[0];
        conns.Add(new Connection(Hidden, Output, Dense(Matrix.Create(classes, n, w["readout.weight"])), Delay.SameStep));

        var network = new NetworkDescription(
            [
                Population(Memory, d, Activation.Linear, model.MemoryActivation, []),
                Population(Hidden, n, model.Activation.Named ?? throw new InvalidOperationException(
                    $"the hidden activation '{model.Activation.Name}' is user-supplied; an artifact needs one of {string.Join(", ", Enum.GetNames<Activation>()).ToLowerInvariant()}"),
                    model.HiddenActivation, [.. w["bias"]]),
                new Population(Output, classes, Activation.Linear, null, [.. w["readout.bias"]], InitialStateMode.Zeros, 0),
            ],
            conns.ToImmutable(),
            new InputMapping(1, $"psMNIST: one pixel per step, pixel/255, in the permutation drawn with seed {permutationSeed}") { Sequence = data.ToSequenceInput() },
            new OutputMapping(Output, OutputMapping.LastStep));
        network.Validate();
        return network;
    }

    /// <summary>The artifact of a trained LMU run.</summary>
    public static ModelArtifact Artifact(LmuModel model, TrainingConfig config, int epochs, IReadOnlyDictionary<string, double> metrics)
    {
        var seeds = ImmutableDictionary.CreateBuilder<string, ulong>();
        seeds["training"] = config.Training.Seed;
        seeds["permutation"] = config.Data.PermutationSeed;
        seeds["split"] = config.Data.SplitSeed;
        if (model.HiddenActivation.Enabled) seeds["hidden-initial-state"] = model.HiddenActivation.Config.Seed;
        if (model.MemoryActivation.Enabled) seeds["memory-initial-state"] = model.MemoryActivation.Config.Seed;
        var provenance = new Provenance(
            model.Quantizers.Count > 0 ? "hslmu" : "lmu",
            config.ToJson(),
            config.Data.Dataset,
            seeds.ToImmutable(),
            epochs,
            Provenance.UtcTimestamp(DateTimeOffset.UtcNow),
            Provenance.CurrentToolVersion,
            $"trained by HybridSpike.Training ({config.Name}); weights are the float32 training values widened to float64");
        return ModelArtifact.Create(Network(model, config.Data), provenance, metrics.ToImmutableDictionary());
    }

    private static Population Population(string name, int size, Activation f, QuantizedActivation q, ImmutableArray<double> bias) =>
        new(name, size, f, q.Enabled ? q.Omega : null, bias, q.InitialStateMode, q.Config.Seed);

    private static DenseWeights Dense(Matrix m) => new(m);

    private static double[] Values(Tensor t)
    {
        using var _ = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }
}
