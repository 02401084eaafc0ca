using System.CommandLine;
using HybridSpike.Mapping.Compile;
using HybridSpike.Host.Serve;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike serve</c>: parses its options into <see cref="ServeOptions"/> for <see cref="ServeService"/>.</summary>
internal sealed class ServeCommand
{
    private readonly Option<string> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
    private readonly CompileTargetOptions _target = CompileTargetOptions.Create(ExponentBlock.Core);
    private readonly Option<string> _urls = new("--urls") { Description = "Where to listen (default: http://127.0.0.1:5080; 127.0.0.1 unless told otherwise)", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
    private readonly Option<int> _streams = new("--streams") { Description = "Streams open at once: the resident mesh's slots; one more is answered 429 (default: 64)", DefaultValueFactory = _ => 64 };
    private readonly ClusterOptions _cluster = ClusterOptions.Create();
    private readonly Option<int> _gateSamples = new("--gate-samples") { Description = "Check a deployed model on this many test sequences first; refuse it if its accuracy falls more than --gate-points below the serving one's (default: 0, no gate)" };
    private readonly Option<double> _gatePoints = new("--gate-points") { Description = "With --gate-samples: the accuracy drop allowed, in percentage points (default: 1)", DefaultValueFactory = _ => 1.0 };
    private readonly Option<double> _telemetry = new("--telemetry-interval") { Description = "Seconds between telemetry rounds over every core (spikes, packets, energy for /metrics, /v2/telemetry and the live page), from 0.1 to 3,600 (default: 1)", DefaultValueFactory = _ => 1.0 };
    private readonly Option<int> _idle = new("--idle-timeout") { Description = "Seconds a stream may go without a push or a read before it is closed, freeing its slot (default: 60)", DefaultValueFactory = _ => 60 };

    public Command Command { get; }

    public ServeCommand()
    {
        Command = new Command("serve", "Serve streaming inference over HTTP and WebSocket from a resident mesh (docs/serve.md), until Ctrl-C or SIGTERM");
        foreach (var o in new Option[] { _model, _target.Profile, _target.Exponent, _target.Placement!, _urls, _streams, _idle })
            Command.Options.Add(o);
        _cluster.AddTo(Command);
        Command.Options.Add(_gateSamples);
        Command.Options.Add(_gatePoints);
        Command.Options.Add(_telemetry);
        Command.SetAction((result, cancel) => ServeService.RunAsync(Parse(result), result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new ServeCommand().Command;

    public ServeOptions Parse(ParseResult result)
    {
        var urls = result.GetValue(_urls)!;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries)) Check.HttpAddress(url, _urls.Name);
        int gateSamples = Ranges.TestSequences.OrZero("no gate").Check(result.GetValue(_gateSamples), _gateSamples.Name);
        double points = result.GetValue(_gatePoints);
        if (!(points >= 0 && points <= 100)) throw new ArgumentException($"--gate-points must be from 0 to 100, got {points}");
        if (gateSamples == 0 && result.GetResult(_gatePoints) is { Implicit: false }) throw new ArgumentException("--gate-points needs --gate-samples");
        double telemetry = result.GetValue(_telemetry);
        if (!(telemetry >= 0.1 && telemetry <= 3600)) throw new ArgumentException($"--telemetry-interval must be from 0.1 to 3,600 seconds, got {telemetry}");
        return new ServeOptions(result.GetValue(_model)!, _target.Read(result), urls,
            Ranges.Streams.Check(result.GetValue(_streams), _streams.Name), TimeSpan.FromSeconds(Ranges.IdleTimeoutSeconds.Check(result.GetValue(_idle), _idle.Name)), _cluster.Read(result))
        {
            Gate = gateSamples > 0 ? new AccuracyGate(gateSamples, points) : null,
            TelemetryInterval = TimeSpan.FromSeconds(telemetry),
        };
    }
}
