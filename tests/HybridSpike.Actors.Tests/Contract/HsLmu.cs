using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// hsLMU networks for the contract: one built in code with the LMU's own math (always available),
/// and a trained one (<see cref="TrainedArtifact"/>: the psMNIST hsLMU when at hand, else the demo's, shipped with the tests).
/// </summary>
public static class HsLmu
{
    /// <summary>
    /// An LMU-shaped network laid out as Training/Export.cs lays out a trained hsLMU, with nothing
    /// trained: the memory (order d, linear) takes B̄ from the input at the same step and Ā as its
    /// one-step recurrence (ZOH-discretized Legendre memory: the near-identity matrix the compiler's
    /// lower stage rewrites as I + (Ā − I)); the hidden layer (relu, quantized with ω) reads the
    /// input and the memory at the same step; a non-spiking linear readout reads the hidden layer.
    /// The memory is non-spiking (hslmu-parallel) or quantized too (hslmu-full). Other weights are
    /// drawn from <paramref name="seed"/>.
    /// </summary>
    public static NetworkDescription InCode(int order, double theta, int hidden, int classes, double hiddenOmega, double? memoryOmega, ulong seed)
    {
        var memory = Legendre.Discretize(order, theta, Discretization.ZeroOrderHold);
        var g = new SplitMix64(seed);
        Matrix Random(int rows, int cols, double scale) => Matrix.Create(rows, cols, (_, _) => scale * (2 * g.NextDouble() - 1));
        var net = new NetworkDescription(
            [new Population("memory", order, Activation.Linear, memoryOmega, [], InitialStateMode.Uniform, seed + 1),
             new Population("hidden", hidden, Activation.Relu, hiddenOmega, [.. Enumerable.Range(0, hidden).Select(_ => 0.2 * (g.NextDouble() - 0.5))], InitialStateMode.Uniform, seed + 2),
             new Population("output", classes, Activation.Linear, null, [.. Enumerable.Range(0, classes).Select(_ => 0.1 * (g.NextDouble() - 0.5))], InitialStateMode.Zeros, 0)],
            [new Connection(NetworkDescription.InputName, "memory", new DenseWeights(memory.B), Delay.SameStep),
             new Connection("memory", "memory", new DenseWeights(memory.A), Delay.OneStep),
             new Connection(NetworkDescription.InputName, "hidden", new DenseWeights(Random(hidden, 1, 1)), Delay.SameStep),
             new Connection("memory", "hidden", new DenseWeights(Random(hidden, order, 2 / Math.Sqrt(order))), Delay.SameStep),
             new Connection("hidden", "output", new DenseWeights(Random(classes, hidden, 1 / Math.Sqrt(hidden))), Delay.SameStep)],
            new InputMapping(1, "pixel-like sequences"), new OutputMapping("output", OutputMapping.LastStep));
        net.Validate();
        return net;
    }

    /// <summary>Pixel-like sequences: k/255, runs of dark and bright "strokes", [stream, step].</summary>
    public static double[] PixelSequences(int streams, int steps, ulong seed)
    {
        var g = new SplitMix64(seed);
        var x = new double[streams * steps];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextInt(3) == 0 ? g.NextInt(256) / 255.0 : 0;
        return x;
    }

    /// <summary>The environment variable naming a trained hsLMU artifact (.hsa, or its run directory).</summary>
    public const string ModelVariable = "HYBRIDSPIKE_MODEL";

    /// <summary>Where the trained psMNIST hsLMU sits in a working copy that has trained it (runs/ is not in the repository).</summary>
    public const string DefaultModel = "runs/psmnist-embedded/hslmu-parallel/model.hsa";

    /// <summary>The demo's trained hsLMU, shipped with the tests (Contract/Data/README.md): the one used when no larger one is at hand.</summary>
    public static string ShippedModel => System.IO.Path.Combine(AppContext.BaseDirectory, "Contract", "Data", "hslmu-tiny-demo.hsa");

    /// <summary>
    /// The trained artifact's path, or why there is none: <see cref="ModelVariable"/>'s, else a working copy's
    /// <see cref="DefaultModel"/>, else <see cref="ShippedModel"/>.
    /// </summary>
    public static (string? Path, string? Missing) TrainedArtifact()
    {
        if (Environment.GetEnvironmentVariable(ModelVariable) is { Length: > 0 } set)
        {
            var path = Directory.Exists(set) ? System.IO.Path.Combine(set, "model.hsa") : set;
            return File.Exists(path) ? (path, null) : (null, $"{ModelVariable}={set}: {path} does not exist");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = System.IO.Path.Combine(dir.FullName, DefaultModel);
            if (File.Exists(path)) return (path, null);
        }
        return File.Exists(ShippedModel) ? (ShippedModel, null) : (null, $"no trained hsLMU: {ShippedModel} is missing from the test output");
    }

    /// <summary>The first <paramref name="count"/> test sequences of the artifact's dataset, in its permutation: [stream, step] and labels.</summary>
    public static (double[] Inputs, int[] Labels, int Steps) TestDigits(ModelArtifact artifact, int count)
    {
        var p = artifact.Provenance;
        var dataset = Datasets.Load(DatasetRequest.Of(p.Dataset), p.Seeds.GetValueOrDefault("split", Datasets.DefaultSplitSeed));
        var view = SequenceView.Permuted(dataset.Splits.Test.Source.PixelsPerImage, p.Seeds.GetValueOrDefault("permutation", Datasets.DefaultPermutationSeed));
        var x = new float[count * view.Length];
        var labels = new long[count];
        view.Fill(dataset.Splits.Test, [.. Enumerable.Range(0, count)], x, labels);
        return (Array.ConvertAll(x, v => (double)v), Array.ConvertAll(labels, l => (int)l), view.Length);
    }
}
