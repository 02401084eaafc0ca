using System.CommandLine;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike compile</c> was asked.</summary>
/// <param name="Model">An artifact (.hsa) or a training output directory.</param>
/// <param name="Samples">Test sequences for the fixed-point accuracy change; 0 skips it.</param>
internal sealed record CompileRequest(string Model, CompileTarget Target, int Samples, bool Json);

/// <summary><c>hybridspike compile</c>: parses its options into a <see cref="CompileRequest"/> for <see cref="CompileService"/>.</summary>
internal sealed class CompileCommand
{
    private readonly Option<string> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
    private readonly CompileTargetOptions _target = CompileTargetOptions.Create(ExponentBlock.Core);
    private readonly Option<int> _samples = new("--samples") { Description = "Also measure the accuracy change of the fixed-point network against float64 on this many test sequences (0 = skip; default: 0)" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public CompileCommand()
    {
        Command = new Command("compile", "Compile a trained network (artifact) to a hardware profile: split, discretize, place, route");
        Command.Options.Add(_model);
        foreach (var o in _target.All) Command.Options.Add(o);
        Command.Options.Add(_samples);
        Command.Options.Add(_json);
        Command.SetAction((result, cancel) => CtrlC.RunAsync("compile", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
            token => Task.FromResult(CompileService.Run(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token))));
    }

    public static Command Build() => new CompileCommand().Command;

    public CompileRequest Parse(ParseResult result) => new(
        result.GetValue(_model)!,
        _target.Read(result),
        Ranges.TestSequences.OrZero("skip").Check(result.GetValue(_samples), _samples.Name),
        result.GetValue(_json));
}
