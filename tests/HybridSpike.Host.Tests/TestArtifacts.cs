using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Host.Tests;

/// <summary>Artifacts the command tests run on, written without training.</summary>
internal static class TestArtifacts
{
    /// <summary>A small psMNIST-shaped artifact (1 input, a quantized recurrent layer of 20 units, 10 outputs), written into <paramref name="dir"/> as model.hsa.</summary>
    public static string SmallPsMnist(string dir) => PsMnist(dir, 20, 1.0, 1.0);

    /// <summary>
    /// A psMNIST-shaped artifact with <paramref name="hidden"/> quantized recurrent units, its recurrent weights scaled
    /// by <paramref name="recurrentScale"/> and its output weights by <paramref name="outputScale"/> (1e300 makes them
    /// overflow as it runs), written into <paramref name="dir"/> as model.hsa.
    /// </summary>
    public static string PsMnist(string dir, int hidden, double recurrentScale, double outputScale)
    {
        var g = new SplitMix64(3);
        var net = new NetworkDescription(
            [new Population("hidden", hidden, Activation.Relu, 4.0, [.. Enumerable.Range(0, hidden).Select(_ => g.NextDouble() - 0.5)], InitialStateMode.Uniform, 7),
             new Population("out", 10, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "hidden", new DenseWeights(Matrix.Create(hidden, 1, (_, _) => 4 * g.NextDouble() - 2)), Delay.SameStep),
             new Connection("hidden", "hidden", new DenseWeights(Matrix.Create(hidden, hidden, (_, _) => 0.4 * (g.NextDouble() - 0.5) * Math.Sqrt(20.0 / hidden) * recurrentScale)), Delay.OneStep),
             new Connection("hidden", "out", new DenseWeights(Matrix.Create(10, hidden, (_, _) => (2 * g.NextDouble() - 1) * outputScale)), Delay.SameStep)],
            new InputMapping(1, "psmnist pixel"), new OutputMapping("out", OutputMapping.LastStep));
        var provenance = new Provenance("test", "{}", "mnist-embedded", ImmutableDictionary<string, ulong>.Empty, 0,
            Provenance.UtcTimestamp(DateTimeOffset.UnixEpoch), "test", "");
        var path = Path.Combine(dir, "model.hsa");
        ArtifactFile.Write(path, ModelArtifact.Create(net, provenance));
        return path;
    }
}
