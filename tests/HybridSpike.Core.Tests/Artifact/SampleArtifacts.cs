using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Artifact;

/// <summary>Small networks and artifacts for the artifact and simulator tests, and a structural comparison.</summary>
internal static class SampleArtifacts
{
    public static Matrix RandomMatrix(int rows, int columns, ulong seed, double scale = 1)
    {
        var g = new SplitMix64(seed);
        return Matrix.Create(rows, columns, (_, _) => (2 * g.NextDouble() - 1) * scale);
    }

    public static SparseWeights RandomSparse(int targets, int sources, int synapses, ulong seed)
    {
        var g = new SplitMix64(seed);
        var t = new int[synapses];
        var s = new int[synapses];
        var v = new double[synapses];
        for (int k = 0; k < synapses; k++)
        {
            t[k] = g.NextInt(targets);
            s[k] = g.NextInt(sources);
            v[k] = 2 * g.NextDouble() - 1;
        }
        return new SparseWeights(targets, sources, [.. t], [.. s], [.. v]);
    }

    /// <summary>
    /// Three populations: a linear non-spiking memory (dense, recurrent), a quantized tanh hidden layer
    /// (sparse in and sparse recurrent, with biases) and a quantized relu output with zero initial state.
    /// </summary>
    public static NetworkDescription Network() => new(
        [
            new Population("memory", 4, Activation.Linear, null, [], InitialStateMode.Uniform, 11),
            new Population("hidden", 5, Activation.Tanh, 2.5, [0.1, -0.2, 0.3, -0.4, 0.5], InitialStateMode.Uniform, 12),
            new Population("out", 3, Activation.Relu, 7, [], InitialStateMode.Zeros, 0),
        ],
        [
            new Connection("input", "memory", new DenseWeights(RandomMatrix(4, 3, 1)), Delay.SameStep),
            new Connection("memory", "memory", new DenseWeights(RandomMatrix(4, 4, 2, 0.5)), Delay.OneStep),
            new Connection("memory", "hidden", RandomSparse(5, 4, 9, 3), Delay.SameStep),
            new Connection("hidden", "hidden", RandomSparse(5, 5, 6, 4), Delay.OneStep),
            new Connection("hidden", "out", new DenseWeights(RandomMatrix(3, 5, 5)), Delay.SameStep),
        ],
        new InputMapping(3, "three test channels"),
        new OutputMapping("out", OutputMapping.LastStep));

    public static Provenance Provenance() => new(
        "hslmu",
        """{"order": 4, "omega": {"start": 1000, "end": 2.5}}""",
        "mnist-embedded",
        ImmutableDictionary<string, ulong>.Empty.Add("init", 7).Add("shuffle", 42).Add("big", ulong.MaxValue),
        10,
        "2026-01-02T03:04:05Z",
        "0.1.0",
        "a test artifact ✓");

    public static ModelArtifact Artifact() => ModelArtifact.Create(
        Network(),
        Provenance(),
        ImmutableDictionary<string, double>.Empty.Add("test-accuracy", 0.9715).Add("activity-bits", 3.74));

    /// <summary>The map's bytes with a "digest" entry last, the SHA-256 of the bytes before it (docs/artifact.md).</summary>
    public static byte[] Sealed(Dictionary<object, object?> root)
    {
        var ordered = new Dictionary<object, object?>();
        foreach (var kv in root) if (!Equals(kv.Key, "digest")) ordered.Add(kv.Key, kv.Value);
        ordered["digest"] = new byte[32];
        var bytes = MessagePack.MessagePackSerializer.Serialize<object>(ordered, MessagePack.Resolvers.ContractlessStandardResolver.Options);
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 41), bytes.AsSpan(bytes.Length - 32));
        return bytes;
    }

    public static void AssertSame(ModelArtifact expected, ModelArtifact actual)
    {
        Assert.Equal(expected.SchemaVersion, actual.SchemaVersion);
        Assert.Equal(expected.Arithmetic, actual.Arithmetic);
        var (p, q) = (expected.Provenance, actual.Provenance);
        Assert.Equal(
            (p.ModelKind, p.ConfigJson, p.Dataset, p.Epochs, p.CreatedUtc, p.ToolVersion, p.Notes),
            (q.ModelKind, q.ConfigJson, q.Dataset, q.Epochs, q.CreatedUtc, q.ToolVersion, q.Notes));
        Assert.Equal(p.Seeds.OrderBy(kv => kv.Key, StringComparer.Ordinal), q.Seeds.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(expected.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal), actual.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        AssertSame(expected.Network, actual.Network);
    }

    public static void AssertSame(NetworkDescription expected, NetworkDescription actual)
    {
        Assert.Equal(expected.Input, actual.Input);
        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.Populations.Length, actual.Populations.Length);
        for (int i = 0; i < expected.Populations.Length; i++)
        {
            var (p, q) = (expected.Populations[i], actual.Populations[i]);
            Assert.Equal((p.Name, p.Size, p.Activation, p.Omega, p.InitialState, p.InitialSeed), (q.Name, q.Size, q.Activation, q.Omega, q.InitialState, q.InitialSeed));
            Assert.Equal(p.Quantizer, q.Quantizer);
            Assert.Equal(p.Bias.IsDefault ? [] : p.Bias.ToArray(), q.Bias.ToArray());
        }
        Assert.Equal(expected.Connections.Length, actual.Connections.Length);
        for (int i = 0; i < expected.Connections.Length; i++)
        {
            var (c, d) = (expected.Connections[i], actual.Connections[i]);
            Assert.Equal((c.Source, c.Target, c.Delay), (d.Source, d.Target, d.Delay));
            switch (c.Weights)
            {
                case DenseWeights w:
                    Assert.Equal(w.Matrix, Assert.IsType<DenseWeights>(d.Weights).Matrix);
                    break;
                case SparseWeights w:
                    var v = Assert.IsType<SparseWeights>(d.Weights);
                    Assert.Equal((w.Targets, w.Sources), (v.Targets, v.Sources));
                    Assert.Equal(w.TargetIndex.ToArray(), v.TargetIndex.ToArray());
                    Assert.Equal(w.SourceIndex.ToArray(), v.SourceIndex.ToArray());
                    Assert.Equal(w.Values.ToArray(), v.Values.ToArray());
                    break;
                default:
                    Assert.Fail($"unexpected weights {c.Weights.GetType().Name}");
                    break;
            }
        }
    }
}
