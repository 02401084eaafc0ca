using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike experiment</c> was asked.</summary>
/// <param name="Configs">Folder of training configs.</param>
/// <param name="Out">Folder for the report and plots.</param>
/// <param name="Runs">Folder for checkpoints and artifacts.</param>
/// <param name="Name">Report name (NAME.md, NAME-*.png).</param>
/// <param name="Epochs">Overrides every config's training.epochs when set.</param>
internal sealed record ExperimentRequest(string Configs, string Out, string Runs, string Name, DatasetOverride Data, int? Epochs, bool Json);

/// <summary><c>hybridspike experiment</c>: parses its options into an <see cref="ExperimentRequest"/> for <see cref="ExperimentService"/>.</summary>
internal sealed class ExperimentCommand
{
    private readonly Option<string> _configs = new("--configs") { Description = "Folder of training configs (default: configs/psmnist)", DefaultValueFactory = _ => "configs/psmnist" };
    private readonly Option<string> _out = new("--out") { Description = "Folder for the report and plots (default: docs/results)", DefaultValueFactory = _ => "docs/results" };
    private readonly Option<string?> _runs = new("--runs") { Description = "Folder for checkpoints and artifacts (default: runs/NAME)" };
    private readonly Option<string> _name = new("--name") { Description = "Report name (NAME.md, NAME-*.png; default: psmnist-embedded)", DefaultValueFactory = _ => "psmnist-embedded" };
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int?> _epochs = new("--epochs") { Description = "Override every config's training.epochs" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public ExperimentCommand()
    {
        _data.Dataset.DefaultValueFactory = null;
        Command = new Command("experiment", "Train every config of a folder on the same data and write a report (table, claims, PNG plots)");
        foreach (var o in new Option[] { _configs, _out, _runs, _name, _epochs, _json }) Command.Options.Add(o);
        _data.AddTo(Command);
        Command.SetAction((result, cancel) => ExperimentService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new ExperimentCommand().Command;

    public ExperimentRequest Parse(ParseResult result)
    {
        var name = result.GetValue(_name)!;
        return new ExperimentRequest(result.GetValue(_configs)!, result.GetValue(_out)!, result.GetValue(_runs) ?? Path.Combine("runs", name), name,
            _data.ReadOverride(result), Ranges.Epochs.Check(result.GetValue(_epochs), _epochs.Name), result.GetValue(_json));
    }
}
