using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Training.Config;

namespace HybridSpike.Benchmarks.Mesh;

/// <summary>The networks and inputs the fixed-point and mesh benchmarks share.</summary>
internal static class BenchNetworks
{
    /// <summary>
    /// The trained hsLMU with memory and hidden quantized (every payload a spike count): HYBRIDSPIKE_MODEL,
    /// or runs/psmnist-embedded/hslmu-full/model.hsa above the working directory. Trained models are not in
    /// the repository; train it with
    /// <c>hybridspike train --config configs/psmnist/hslmu-full.json --out runs/psmnist-embedded/hslmu-full</c>.
    /// </summary>
    public static string? HsLmuArtifact()
    {
        var env = Environment.GetEnvironmentVariable("HYBRIDSPIKE_MODEL");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : throw new FileNotFoundException($"HYBRIDSPIKE_MODEL: {env} does not exist");
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "runs", "psmnist-embedded", "hslmu-full", "model.hsa");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    public static string RequireHsLmu() => HsLmuArtifact() ?? throw new FileNotFoundException(
        "the trained hsLMU is needed: set HYBRIDSPIKE_MODEL to a model.hsa, or train it with " +
        "`hybridspike train --config configs/psmnist/hslmu-full.json --out runs/psmnist-embedded/hslmu-full`");

    /// <summary>The hsLMU compiled to a profile with per-row exponents (the mesh's best 8-bit form).</summary>
    public static CompiledMesh HsLmu(string artifactPath, HardwareProfile profile) =>
        Compiler.Compile(ArtifactFile.Read(artifactPath).Network, profile, new SequentialPlacement(), CompileOptions.Default with { Exponents = ExponentBlock.Row });

    /// <summary>
    /// <paramref name="sequences"/> psMNIST test digits, one after another per stream
    /// (inputs [stream, step, 1]): long runs, so that setting up a run is a small part of it.
    /// </summary>
    public static double[] Digits(string artifactPath, int streams, int sequences)
    {
        var artifact = ArtifactFile.Read(artifactPath);
        var config = TrainingConfig.Parse(artifact.Provenance.ConfigJson, artifactPath);
        var dataset = Datasets.Load(DatasetRequest.Of(config.Data.Dataset));
        var view = SequenceView.Permuted(784, config.Data.PermutationSeed);
        var test = dataset.Splits.Test;
        var result = new double[streams * sequences * 784];
        var buffer = new float[784];
        var label = new long[1];
        for (int s = 0; s < streams; s++)
            for (int q = 0; q < sequences; q++)
            {
                view.Fill(test, [(s * sequences + q) % test.Indices.Length], buffer, label);
                for (int t = 0; t < 784; t++) result[(s * sequences + q) * 784 + t] = buffer[t];
            }
        return result;
    }

    /// <summary>
    /// A generated layered network: <paramref name="dims"/> inputs, then <paramref name="layers"/> fully
    /// connected quantized ReLU layers of <paramref name="units"/> units (same-step), then 10 outputs.
    /// Weights are uniform, a little positive on average, scaled by 1/√fan-in, so that a good part of
    /// the units send a count each step at ω = 1 (the benchmark reports the events it measured).
    /// </summary>
    public static NetworkDescription Layered(int dims, int units, int layers, ulong seed)
    {
        var g = new SplitMix64(seed);
        var pops = new List<Population>();
        var conns = new List<Connection>();
        string previous = NetworkDescription.InputName;
        int previousSize = dims;
        for (int l = 0; l < layers; l++)
        {
            string name = $"layer{l}";
            double scale = 2.0 / Math.Sqrt(previousSize);
            double bias = l == 0 ? 0 : -0.2;
            pops.Add(new Population(name, units, Activation.Relu, 1.0, [.. Enumerable.Repeat(bias, units)], InitialStateMode.Uniform, seed + (ulong)l));
            conns.Add(new Connection(previous, name, new DenseWeights(Matrix.Create(units, previousSize, (_, _) => scale * (2 * g.NextDouble() - 0.7))), Delay.SameStep));
            previous = name;
            previousSize = units;
        }
        pops.Add(new Population("output", 10, Activation.Linear, null, [], InitialStateMode.Zeros, 0));
        conns.Add(new Connection(previous, "output", new DenseWeights(Matrix.Create(10, previousSize, (_, _) => 0.01 * (2 * g.NextDouble() - 1))), Delay.SameStep));
        return new NetworkDescription([.. pops], [.. conns], new InputMapping(dims, "generated"), new OutputMapping("output", OutputMapping.LastStep));
    }

    /// <summary>Uniform inputs in [0, 1) for a generated network: [stream, step, dim].</summary>
    public static double[] UniformInputs(int streams, int steps, int dims, ulong seed)
    {
        var g = new SplitMix64(seed);
        var x = new double[streams * steps * dims];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextDouble();
        return x;
    }

    /// <summary>The loihi profile with at most <paramref name="units"/> units per core: the same chips, more of them used.</summary>
    public static HardwareProfile LoihiWithUnits(int units)
    {
        var loihi = Profiles.Get("loihi");
        return loihi with { Name = $"loihi-{units}", Core = loihi.Core with { Units = units } };
    }

    /// <summary>Resident memory of this process now, in bytes (Linux: VmRSS).</summary>
    public static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }

    public static ImmutableArray<double> Immutable(double[] x) => ImmutableArray.Create(x);
}
