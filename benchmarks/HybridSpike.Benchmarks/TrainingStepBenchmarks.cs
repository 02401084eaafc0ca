using BenchmarkDotNet.Attributes;
using HybridSpike.Training;
using HybridSpike.Training.Config;
using HybridSpike.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Benchmarks;

/// <summary>
/// One training step (forward, backward, Adam) at batch 100 on 784-step psMNIST sequences, for
/// each model of the issue, side by side in one run. Samples/s = 100 / mean step time.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class TrainingStepBenchmarks
{
    private SequenceModel _model = null!;
    private TorchSharp.Modules.Adam _optimizer = null!;
    private Tensor _x = null!, _y = null!;

    [Params("hslmu-sequential", "hslmu-parallel", "lmu", "lmu-parallel", "lstm", "gru")]
    public string Model { get; set; } = "";

    public static ModelConfig ConfigFor(string name) => name switch
    {
        // Memory and hidden quantized: step by step.
        "hslmu-sequential" => new ModelConfig
        {
            Lmu = new LmuConfig
            {
                HiddenQuantizer = QuantizerConfig.On(4, 1) with { OmegaStart = 4 },
                MemoryQuantizer = QuantizerConfig.On(8, 2) with { OmegaStart = 8 },
            },
        },
        // Hidden quantized, memory linear, no W_h: the parallel form.
        "hslmu-parallel" => new ModelConfig
        {
            Lmu = new LmuConfig
            {
                Weights = new LmuWeightsConfig { HiddenKernel = false },
                HiddenQuantizer = QuantizerConfig.On(4, 1) with { OmegaStart = 4 },
            },
        },
        "lmu" => new ModelConfig(),
        "lmu-parallel" => new ModelConfig { Lmu = new LmuConfig { Weights = new LmuWeightsConfig { HiddenKernel = false } } },
        "lstm" => new ModelConfig { Kind = "lstm", Rnn = new RnnConfig { Hidden = 157 } },
        "gru" => new ModelConfig { Kind = "gru", Rnn = new RnnConfig { Hidden = 181 } },
        _ => throw new ArgumentException(name),
    };

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
