using System.CommandLine;
using HybridSpike.Core.Data;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike stream</c> was asked.</summary>
/// <param name="Url">The service.</param>
/// <param name="Concurrency">Streams open at once.</param>
/// <param name="Chunk">Steps pushed at a time; null: each sequence whole.</param>
/// <param name="Frames">The frames' encoding on the socket.</param>
/// <param name="Data">A dataset in place of the one the served model reads (its seeds stay the model's).</param>
internal sealed record StreamRequest(Uri Url, DatasetOverride Data, int Samples, int Concurrency, int? Chunk, Core.Serving.FrameEncoding Frames, bool Json);

/// <summary><c>hybridspike stream</c>: parses its options into a <see cref="StreamRequest"/> for <see cref="StreamService"/>.</summary>
internal sealed class StreamCommand
{
    private readonly Option<string> _url = new("--url") { Description = "The service (default: http://127.0.0.1:5080)", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int> _samples = new("--samples") { Description = "Test sequences to stream (default: 20)", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _concurrency = new("--concurrency") { Description = "Streams open at once (default: 1)", DefaultValueFactory = _ => 1 };
    private readonly Option<int?> _chunk = new("--chunk") { Description = "Steps pushed at a time (default: each sequence whole)" };
    private readonly Option<string> _frames = new("--frames") { Description = "The frames' encoding: json or msgpack (default: json)", DefaultValueFactory = _ => "json" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public StreamCommand()
    {
        _data.Dataset.DefaultValueFactory = null;   // the served model's dataset unless given
        Command = new Command("stream", "Stream test sequences through a running `serve`, then report accuracy, predictions and latency");
        Command.Options.Add(_url);
        _data.AddTo(Command);
        _frames.AcceptOnlyFromAmong("json", "msgpack");
        foreach (var o in new Option[] { _samples, _concurrency, _chunk, _frames, _json }) Command.Options.Add(o);
        Command.SetAction((result, cancel) => CtrlC.RunAsync("stream", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
            token => StreamService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token)));
    }

    public static Command Build() => new StreamCommand().Command;

    public StreamRequest Parse(ParseResult result)
    {
        return new StreamRequest(Check.HttpAddress(result.GetValue(_url)!, _url.Name), _data.ReadOverride(result), Ranges.TestSequences.Check(result.GetValue(_samples), _samples.Name),
            Ranges.Streams.Check(result.GetValue(_concurrency), _concurrency.Name), Ranges.Chunk.Check(result.GetValue(_chunk), _chunk.Name),
            result.GetValue(_frames) == "msgpack" ? Core.Serving.FrameEncoding.MessagePack : Core.Serving.FrameEncoding.Json, result.GetValue(_json));
    }
}
