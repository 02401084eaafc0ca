using HybridSpike.Core.Data;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Reference;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Tests;

public sealed class ExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-export-").FullName;

    public ExportTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LmuConfig Config(bool memoryQ, bool hiddenKernel, bool encoders) => new()
    {
        Order = 16, Theta = 50, Hidden = 11,
        Weights = new LmuWeightsConfig { HiddenKernel = hiddenKernel, HiddenEncoder = encoders, MemoryEncoder = encoders },
        HiddenQuantizer = new QuantizerConfig { Enabled = true, OmegaStart = 5, OmegaEnd = 5, Seed = 7 },
        MemoryQuantizer = memoryQ ? new QuantizerConfig { Enabled = true, OmegaStart = 12, OmegaEnd = 12, Seed = 8 } : QuantizerConfig.Off,
    };

    [Theory]
    [InlineData(false, false, false)] // parallel form
    [InlineData(true, true, false)]   // memory first
    [InlineData(true, true, true)]    // step by step with every recurrent weight
    public void In_float64_the_golden_simulator_reproduces_the_TorchSharp_spike_counts_exactly(bool memoryQ, bool hiddenKernel, bool encoders)
    {
        using var _ = NewDisposeScope();
        using var model = new LmuModel(Config(memoryQ, hiddenKernel, encoders), 10, 3);
        using (no_grad()) foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.2); // zero-initialised weights come alive
        model.to(ScalarType.Float64);
        var data = SequenceData.Load(new DataConfig { TestLimit = 24 });
        var positions = Enumerable.Range(0, 24).ToArray();
        var (x, _) = data.Batch(data.Test, positions, ScalarType.Float64);
        var recorded = model.Record(x);

        var artifact = Export.Artifact(model, new TrainingConfig(), 0, new Dictionary<string, double>());
        var path = Path.Combine(_dir, "model.hsa");
        ArtifactFile.Write(path, artifact);
        var golden = GoldenSimulator.Create(ArtifactFile.Read(path));
        var inputs = x.contiguous().data<double>().ToArray();
        foreach (var population in recorded.Activity)
        {
            var g = golden.RecordCounts(population.Population, inputs, 24, (int)x.shape[1]);
            var torchCounts = population.Counts.permute(1, 0, 2).contiguous().data<int>().ToArray(); // [step, sample, unit]
            Assert.Equal(torchCounts.Length, g.Counts.Length);
            int differences = torchCounts.Where((c, i) => c != g.Counts[i]).Count();
            Assert.True(differences == 0, $"{population.Population}: {differences} of {torchCounts.Length} counts differ");
            Assert.Contains(torchCounts, c => c != 0);
            var logits = recorded.Logits.contiguous().data<double>().ToArray();
            var outputs = g.Result.Outputs.Values.ToArray();
            for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], outputs[i], 1e-9);
        }
    }

    [Fact]
    public void The_exported_network_has_the_LMU_layout()
    {
        using var model = new LmuModel(Config(memoryQ: true, hiddenKernel: true, encoders: false), 10, 3);
        var net = Export.Network(model, new DataConfig { PermutationSeed = 1234 });
        Assert.Equal(["memory", "hidden", "output"], net.Populations.Select(p => p.Name));
        Assert.Equal(12, net.Population("memory").Omega);
        Assert.Null(net.Population("output").Omega);
        Assert.Equal(
            ["input->memory SameStep", "memory->memory OneStep", "input->hidden SameStep", "memory->hidden SameStep", "hidden->hidden OneStep", "hidden->output SameStep"],
            net.Connections.Select(c => $"{c.Source}->{c.Target} {c.Delay}"));
    }
}
