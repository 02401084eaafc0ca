using System.CommandLine;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike deploy</c> was asked.</summary>
internal sealed record DeployRequest(string Model, Uri Url, bool Json);

/// <summary><c>hybridspike deploy</c>: sends an artifact to a running <c>serve</c>, which switches new streams to it.</summary>
internal sealed class DeployCommand
{
    private readonly Option<string> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
    private readonly Option<string> _url = new("--url") { Description = "The service (default: http://127.0.0.1:5080)", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public DeployCommand()
    {
        Command = new Command("deploy", "Deploy an artifact to a running `serve`: new streams get it, open ones finish on theirs (docs/serve.md)");
        foreach (var o in new Option[] { _model, _url, _json }) Command.Options.Add(o);
        Command.SetAction((result, cancel) => Services.DeployService.RunAsync(Parse(result), result.InvocationConfiguration.Output, cancel));
    }

    public static Command Build() => new DeployCommand().Command;

    public DeployRequest Parse(ParseResult result)
    {
        return new DeployRequest(result.GetValue(_model)!, Check.HttpAddress(result.GetValue(_url)!, _url.Name), result.GetValue(_json));
    }
}
