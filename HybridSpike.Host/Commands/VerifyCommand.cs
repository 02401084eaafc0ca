using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike verify</c> was asked.</summary>
/// <param name="Model">A training output directory (checkpoint.hsckpt and model.hsa).</param>
/// <param name="Limit">Test sequences to compare; 0 = all.</param>
internal sealed record VerifyRequest(string Model, int Limit, bool Json);

/// <summary><c>hybridspike verify</c>: parses its options into a <see cref="VerifyRequest"/> for <see cref="VerifyService"/>.</summary>
internal sealed class VerifyCommand
{
    private readonly Option<string> _model = new("--model") { Description = "A training output directory (checkpoint.hsckpt and model.hsa)", Required = true };
    private readonly Option<int> _limit = new("--limit") { Description = "Test sequences to compare (0 = all; default: 200)", DefaultValueFactory = _ => 200 };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public VerifyCommand()
    {
        Command = new Command("verify", "Compare TorchSharp (float32, float64) with the golden simulator on the exported artifact: spike counts and predictions");
        Command.Options.Add(_model); Command.Options.Add(_limit); Command.Options.Add(_json);
        Command.SetAction((result, cancel) => CtrlC.RunAsync("verify", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
            token => Task.FromResult(VerifyService.Run(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token))));
    }

    public static Command Build() => new VerifyCommand().Command;

    public VerifyRequest Parse(ParseResult result) =>
        new(result.GetValue(_model)!, Ranges.TestSequences.OrZero("all").Check(result.GetValue(_limit), _limit.Name), result.GetValue(_json));
}
