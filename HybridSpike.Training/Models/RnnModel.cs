using TorchSharp;
using static TorchSharp.torch;

namespace HybridSpike.Training.Models;

/// <summary>The LSTM and GRU baselines: one recurrent layer over the pixel sequence, Dense on the last step.</summary>
public sealed class RnnModel : SequenceModel
{
    private readonly nn.Module<Tensor, Tensor> _readout;
    private readonly TorchSharp.Modules.LSTM? _lstm;
    private readonly TorchSharp.Modules.GRU? _gru;

    public RnnModel(string kind, int hidden, int classes, long seed) : base(kind)
    {
        Kind = kind;
        torch.manual_seed(seed); // initial weights follow the run's seed
        if (kind == "lstm") _lstm = nn.LSTM(1, hidden, batchFirst: true);
        else _gru = nn.GRU(1, hidden, batchFirst: true);
        _readout = nn.Linear(hidden, classes);
        if (_lstm is not null) register_module("lstm", _lstm);
        if (_gru is not null) register_module("gru", _gru);
        register_module("readout", _readout);
    }

    public string Kind { get; }

    public override IReadOnlyList<(string Population, QuantizedActivation Activation)> Quantizers => [];

    public override Tensor forward(Tensor x)
    {
        var input = x.unsqueeze(-1);
        var output = _lstm is not null ? _lstm.call(input).Item1 : _gru!.call(input).Item1;
        return _readout.call(output.select(1, -1));
    }

    public override RecordedForward Record(Tensor x) => new(forward(x), []);
}
