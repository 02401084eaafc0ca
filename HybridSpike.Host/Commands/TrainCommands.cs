using System.CommandLine;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike train</c> was asked.</summary>
/// <param name="Config">Training config (JSON); null for the defaults (the LMU paper's psMNIST setup).</param>
/// <param name="Epochs">Overrides training.epochs when set.</param>
/// <param name="Out">Output directory (checkpoint, history, metrics, artifact).</param>
/// <param name="Deploy">A running service to deploy the trained artifact to at the end; null for none.</param>
internal sealed record TrainRequest(string? Config, DatasetOverride Data, int? Epochs, string Out, bool Resume, bool Force, Uri? Deploy, bool Json);

/// <summary>What <c>eval</c> evaluates.</summary>
internal enum EvalEngine
{
    /// <summary>The float32 TorchSharp checkpoint (a training directory or a .hsckpt file).</summary>
    Torch,
    /// <summary>The float64 golden model of the artifact (an .hsa file or DIR/model.hsa), with its fixed-point compilation beside it.</summary>
    Golden,
}

/// <summary>What <c>hybridspike eval</c> was asked.</summary>
/// <param name="Model">A training output directory, a checkpoint (.hsckpt) or an artifact (.hsa).</param>
/// <param name="Engine">The engine asked for; null: torch for a directory or a checkpoint, golden for an artifact.</param>
/// <param name="Limit">Evaluate only the first N test sequences; 0 = all.</param>
/// <param name="FixedPoint">With the golden engine: the compilation whose fixed-point model is compared with float64 (its placement is always sequential: it does not change the arithmetic).</param>
/// <param name="FixedPointOptionGiven">The name of --profile or --exponent when one was given on the command line (they apply to the golden engine only); null otherwise.</param>
internal sealed record EvalRequest(string Model, EvalEngine? Engine, DatasetOverride Data, int Limit, CompileTarget FixedPoint, string? FixedPointOptionGiven, bool Json);

/// <summary><c>hybridspike train</c>: parses its options into a <see cref="TrainRequest"/> for <see cref="TrainService"/>.</summary>
internal sealed class TrainCommand
{
    private readonly Option<string?> _config = new("--config") { Description = "Training config (JSON); defaults reproduce the LMU paper's psMNIST setup" };
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int?> _epochs = new("--epochs") { Description = "Override training.epochs" };
    private readonly Option<string> _out = new("--out") { Description = "Output directory (checkpoint, history, metrics, artifact)", Required = true };
    private readonly Option<bool> _resume = new("--resume") { Description = "Continue from the checkpoint in --out" };
    private readonly Option<bool> _force = new("--force") { Description = "Replace an earlier run's files in --out (checkpoint, history, metrics, artifact)" };
    private readonly Option<string?> _deploy = new("--deploy") { Description = "At the end, deploy the artifact to the running service at this address (hybridspike serve; docs/serve.md)" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public TrainCommand()
    {
        _data.Dataset.DefaultValueFactory = null;
        Command = new Command("train", "Train a model (LMU, hsLMU, LSTM or GRU) on psMNIST-style sequences; checkpoints every epoch, exports the artifact");
        Command.Options.Add(_config); _data.AddTo(Command); Command.Options.Add(_epochs); Command.Options.Add(_out); Command.Options.Add(_resume); Command.Options.Add(_force); Command.Options.Add(_deploy); Command.Options.Add(_json);
        Command.SetAction((result, cancel) => TrainService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new TrainCommand().Command;

    public TrainRequest Parse(ParseResult result)
    {
        var deploy = result.GetValue(_deploy) is { } url ? Check.HttpAddress(url, _deploy.Name) : null;
        return new(result.GetValue(_config), _data.ReadOverride(result), Ranges.Epochs.Check(result.GetValue(_epochs), _epochs.Name),
            result.GetValue(_out)!, result.GetValue(_resume), result.GetValue(_force), deploy, result.GetValue(_json));
    }
}

/// <summary><c>hybridspike eval</c>: parses its options into an <see cref="EvalRequest"/> for <see cref="EvalService"/>.</summary>
internal sealed class EvalCommand
{
    private readonly Option<string> _model = new("--model") { Description = "A training output directory, a checkpoint (.hsckpt) or an artifact (.hsa)", Required = true };
    private readonly Option<string?> _engine = new("--engine")
    {
        Description = "torch: the float32 TorchSharp checkpoint (a training directory or a .hsckpt); golden: the float64 golden model of the artifact (an .hsa or DIR/model.hsa) " +
            "and its fixed-point compilation to --profile (default: torch for a directory or a checkpoint, golden for an artifact)",
    };
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int> _limit = new("--limit") { Description = "Evaluate only the first N test sequences (0 = all; default: 0)" };
    private readonly CompileTargetOptions _fixedPoint = CompileTargetOptions.Create(ExponentBlock.Row, placement: false);
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public EvalCommand()
    {
        _engine.AcceptOnlyFromAmong("golden", "torch");
        _data.Dataset.DefaultValueFactory = null;
        _fixedPoint.Profile.Description = "With --engine golden: compile the artifact to this profile for the fixed-point comparison: " + _fixedPoint.Profile.Description;
        _fixedPoint.Exponent.Description = "With --engine golden: " + _fixedPoint.Exponent.Description;
        Command = new Command("eval", "Evaluate a checkpoint (TorchSharp) or an artifact (golden simulator, and its fixed-point compilation) on a test split and print its metrics");
        Command.Options.Add(_model); Command.Options.Add(_engine); _data.AddTo(Command); Command.Options.Add(_limit);
        foreach (var o in _fixedPoint.All) Command.Options.Add(o);
        Command.Options.Add(_json);
        Command.SetAction((result, cancel) => CtrlC.RunAsync("eval", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
            token => Task.FromResult(EvalService.Run(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token))));
    }

    public static Command Build() => new EvalCommand().Command;

    public EvalRequest Parse(ParseResult result)
    {
        EvalEngine? engine = result.GetValue(_engine) switch
        {
            null => null,
            "torch" => EvalEngine.Torch,
            "golden" => EvalEngine.Golden,
            var other => throw new ArgumentException($"--engine '{other}' is not one of golden, torch"),
        };
        var given = _fixedPoint.Given(result).FirstOrDefault();
        if (engine == EvalEngine.Torch && given is not null)
            throw new ArgumentException($"{given} applies to --engine golden (the fixed-point compilation of an artifact), not to --engine torch");
        return new EvalRequest(result.GetValue(_model)!, engine, _data.ReadOverride(result),
            Ranges.TestSequences.OrZero("all").Check(result.GetValue(_limit), _limit.Name), _fixedPoint.Read(result), given, result.GetValue(_json));
    }
}
