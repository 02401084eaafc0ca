using BenchmarkDotNet.Attributes;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Benchmarks;

/// <summary>
/// One training step (forward, backward, Adam) at batch 100 on 784-step psMNIST sequences, for
/// each model of the experiment, side by side in one run. Samples/s = 100 / mean step time.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class TrainingStepBenchmarks
{
    private SequenceModel _model = null!;
    private TorchSharp.Modules.Adam _optimizer = null!;
    private Tensor _x = null!, _y = null!;

    /// <summary>The experiment's configs (configs/psmnist/NAME.json), plus the step-by-step form forced on hslmu-full to show what the memory-first form saves.</summary>
    [Params("hslmu-full", "hslmu-full-sequential", "hslmu", "hslmu-parallel", "lmu", "lmu-parallel", "lstm", "gru")]
    public string Model { get; set; } = "";

    public static ModelConfig ConfigFor(string name)
    {
        bool forceSequential = name.EndsWith("-sequential", StringComparison.Ordinal);
        var file = Path.Combine(ConfigDirectory(), (forceSequential ? name[..^"-sequential".Length] : name) + ".json");
        var model = TrainingConfig.Load(file).Model;
        // Benchmark at the target ω (the end of the schedule), where spikes are sparsest.
        model = model with
        {
            Lmu = model.Lmu with
            {
                HiddenQuantizer = model.Lmu.HiddenQuantizer with { OmegaStart = model.Lmu.HiddenQuantizer.OmegaEnd },
                MemoryQuantizer = model.Lmu.MemoryQuantizer with { OmegaStart = model.Lmu.MemoryQuantizer.OmegaEnd },
            },
        };
        return forceSequential ? model with { Lmu = model.Lmu with { Form = "sequential" } } : model;
    }

    private static string ConfigDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "configs", "psmnist"))) return Path.Combine(dir.FullName, "configs", "psmnist");
        throw new DirectoryNotFoundException("configs/psmnist not found above " + AppContext.BaseDirectory);
    }

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.EnsureInitialized();
        _model = SequenceModel.Create(ConfigFor(Model), 0);
        _model.train();
        _optimizer = optim.Adam(_model.parameters(), lr: 1e-3);
        torch.manual_seed(1);
        _x = rand(100, 784);
        _y = randint(0, 10, [100]);
    }

    [Benchmark]
    public float Step()
    {
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(_model.forward(_x), _y);
        _optimizer.zero_grad();
        loss.backward();
        _optimizer.step();
        return loss.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
