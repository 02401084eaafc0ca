using System.Net.WebSockets;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>What the serve tests share: an in-process service on a free loopback port, a model's offline outputs, a socket's frames.</summary>
internal static class ServeTestKit
{
    /// <summary>
    /// A service of <paramref name="model"/> on Loihi at http://127.0.0.1:0 (the caller disposes it), its telemetry
    /// collected every <paramref name="telemetryInterval"/> (default: the service's 1 s).
    /// </summary>
    public static Task<ServeApp> StartAsync(string model, int streams, int idleSeconds, ClusterRequest? cluster, TextWriter log, TimeSpan? telemetryInterval = null) =>
        ServeApp.StartAsync(new ServeOptions(model, new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()),
            "http://127.0.0.1:0", streams, TimeSpan.FromSeconds(idleSeconds), cluster)
        { TelemetryInterval = telemetryInterval ?? TimeSpan.FromSeconds(1) }, log, CancellationToken.None);

    /// <summary>Streams each sequence through the service as a stream of its own, pushed whole, and waits for its <c>closed</c> frame.</summary>
    public static async Task StreamAllAsync(Uri service, IReadOnlyList<double[]> sequences, CancellationToken cancel)
    {
        using var client = new Core.Serving.StreamClient(service);
        await Task.WhenAll(sequences.Select(async input =>
        {
            await using var stream = await client.OpenAsync(new Core.Serving.OpenStreamRequest([input.Length - 1], "wait", null), cancel);
            var frames = stream.ReadAllAsync(cancel);
            await stream.PushAsync(input, cancel);
            await stream.CompleteAsync(cancel);
            await foreach (var _ in frames) { }
        }));
    }

    /// <summary>The first <paramref name="samples"/> test digits of the model's view and the fixed-point model's outputs for them at their last step, offline.</summary>
    public static (double[][] Inputs, double[][] Expected) Offline(string model, int samples)
    {
        var artifact = ArtifactFile.Read(model);
        var data = SequenceData.Load(DataConfig.ForArtifact(artifact, model) with { TestLimit = samples });
        var (inputs, _) = data.Doubles(data.Test, [.. Enumerable.Range(0, samples)]);
        var mesh = Compiler.Compile(artifact.Network, Mapping.Profiles.Profiles.Get("loihi"), new SequentialPlacement());
        var result = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, samples, data.Steps);
        return ([.. Enumerable.Range(0, samples).Select(i => inputs.AsSpan(i * data.Steps, data.Steps).ToArray())],
            [.. Enumerable.Range(0, samples).Select(i => result.Outputs.Row(i).ToArray())]);
    }

    /// <summary>The fixed-point model's recorded spike counts of <paramref name="population"/> for one input sequence, offline.</summary>
    public static RecordedCounts OfflineCounts(string model, double[] input, string population)
    {
        var mesh = Compiler.Compile(ArtifactFile.Read(model).Network, Mapping.Profiles.Profiles.Get("loihi"), new SequentialPlacement());
        return FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).RecordCounts(population, input, 1, input.Length / mesh.Network.Input.Dimensions);
    }

    /// <summary>A socket's JSON frames until the service closes the stream (or the socket ends), within <paramref name="limit"/>.</summary>
    public static async Task<List<JsonElement>> ReadFramesAsync(WebSocket ws, TimeSpan limit)
    {
        var frames = new List<JsonElement>();
        var buffer = new byte[1 << 20];
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var text = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == WebSocketMessageType.Close) return frames;
                text.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            var frame = JsonDocument.Parse(text.ToArray()).RootElement.Clone();
            frames.Add(frame);
            if (frame.GetProperty("type").GetString() == "closed") return frames;
        }
    }

    /// <summary>
    /// Subscribes to a server-sent event stream: returns its answer once the headers are in (so the watch is in place),
    /// and the events' JSON (each <c>data:</c> line) until the service ends the stream, within <paramref name="limit"/>.
    /// </summary>
    public static async Task<(HttpResponseMessage Answer, Task<List<JsonElement>> Events)> SubscribeAsync(HttpClient http, Uri address, TimeSpan limit)
    {
        var answer = await http.GetAsync(address, HttpCompletionOption.ResponseHeadersRead);
        if (!answer.IsSuccessStatusCode) return (answer, Task.FromResult(new List<JsonElement>()));
        async Task<List<JsonElement>> Read()
        {
            using var timeout = new CancellationTokenSource(limit);
            using var reader = new StreamReader(await answer.Content.ReadAsStreamAsync(timeout.Token));
            var events = new List<JsonElement>();
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            return events;
        }
        return (answer, Read());
    }
}
