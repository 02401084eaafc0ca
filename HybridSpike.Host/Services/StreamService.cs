using System.Diagnostics;
using System.Net;
using HybridSpike.Core.Data;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Services;

/// <summary>
/// <c>hybridspike stream</c>: test sequences through a running service, each a stream of its own, <c>--concurrency</c>
/// at a time; reports accuracy, each sequence's prediction and the latency from its last push to its output.
/// </summary>
internal static class StreamService
{
    /// <summary>One sequence's stream: its prediction, the model version it ran on (a live deployment mid-run changes it for the later ones), its latency.</summary>
    internal sealed record StreamedSample(int Index, long Label, int Prediction, string Version, double LatencyMilliseconds);

    internal sealed record LatencySummary(double P50, double P90, double P99, double Max);

    internal sealed record StreamReport(string Url, string Model, string Version, string Dataset, int Samples, int Concurrency, int? Chunk,
        double Accuracy, LatencySummary LatencyMilliseconds, double Seconds, IReadOnlyList<StreamedSample> PerSample);

    public static async Task<int> RunAsync(StreamRequest request, TextWriter o, TextWriter err, CancellationToken cancel)
    {
        using var client = new StreamClient(request.Url);
        var models = await Reach(() => client.ModelsAsync(cancel), request.Url);
        var model = models.FirstOrDefault() ?? throw new InvalidOperationException($"{request.Url} serves no model yet");
        // The view the served model reads (its dataset, split and psMNIST permutation), so that its predictions mean something.
        var view = model.Input is { PermutationSeed: { } permutation } input
            ? new DataConfig { Dataset = input.Dataset, SplitSeed = input.SplitSeed, PermutationSeed = permutation }
            : new DataConfig();
        var config = request.Data.Apply(view) with { TestLimit = request.Samples };
        var data = SequenceData.Load(config);
        Check.WithinSplit(request.Samples, data.Test.Count, "--samples", config.Dataset);
        err.WriteLine($"stream: {data.Test.Count:N0} test sequences of {config.Dataset} through {request.Url} ({model.Name} version {model.Version}), {request.Concurrency} at a time; Ctrl-C stops");

        var samples = new StreamedSample[data.Test.Count];
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(request.Concurrency);
        var work = Enumerable.Range(0, data.Test.Count).Select(async i =>
        {
            await gate.WaitAsync(cancel);
            try { samples[i] = await One(client, data, i, request.Chunk, request.Frames == FrameEncoding.MessagePack ? "msgpack" : "json", cancel); }
            finally { gate.Release(); }
        }).ToArray();
        await Task.WhenAll(work);
        var seconds = clock.Elapsed.TotalSeconds;

        var latencies = samples.Select(s => s.LatencyMilliseconds).Order().ToArray();
        double At(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var report = new StreamReport(request.Url.ToString(), model.Name, model.Version, config.Dataset, samples.Length, request.Concurrency, request.Chunk,
            samples.Count(s => s.Prediction == s.Label) / (double)samples.Length, new LatencySummary(At(0.5), At(0.9), At(0.99), latencies[^1]), seconds, samples);
        if (request.Json) Cli.WriteJson(o, report);
        else
        {
            o.WriteLine($"{report.Model} version {report.Version} at {report.Url}: {report.Samples} sequences of {report.Dataset}, {report.Concurrency} at a time, in {seconds:0.0} s");
            if (samples.Select(s => s.Version).Distinct().Count() > 1)
                o.WriteLine("versions: " + string.Join(", ", samples.GroupBy(s => s.Version).Select(g => $"{g.Key} ({g.Count()} sequences)")));
            o.WriteLine($"accuracy {report.Accuracy:P2}");
            var l = report.LatencyMilliseconds;
            o.WriteLine($"latency, last push to output: p50 {l.P50:0.00} ms, p90 {l.P90:0.00} ms, p99 {l.P99:0.00} ms, max {l.Max:0.00} ms");
        }
        return 0;
    }

    /// <summary>One sequence as one stream, retrying while the service is full (429, after its Retry-After).</summary>
    private static async Task<StreamedSample> One(StreamClient client, SequenceData data, int index, int? chunk, string frames, CancellationToken cancel)
    {
        var (inputs, labels) = data.Doubles(data.Test, [index]);
        var request = new OpenStreamRequest([data.Steps - 1], "wait", frames);
        ServiceStream stream;
        while (true)
        {
            try { stream = await client.OpenAsync(request, cancel); break; }
            catch (StreamServiceException e) when (e.Status == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(e.RetryAfter ?? TimeSpan.FromSeconds(1), cancel);
            }
        }
        await using (stream)
        {
            if (stream.Info.InputDimensions != 1)
                throw new InvalidDataException($"{client.Service}: the model takes {stream.Info.InputDimensions} values a step; pixel sequences give 1");
            var reading = First(stream, cancel);
            int size = chunk ?? inputs.Length;
            long lastPush = 0;
            for (int at = 0; at < inputs.Length; at += size)
            {
                lastPush = Stopwatch.GetTimestamp();
                await stream.PushAsync(inputs.AsMemory(at, Math.Min(size, inputs.Length - at)), cancel);
            }
            await stream.CompleteAsync(cancel);
            var (output, received) = await reading;
            return new StreamedSample(index, labels[0], output.Prediction ?? -1, stream.Info.Version, Stopwatch.GetElapsedTime(lastPush, received).TotalMilliseconds);
        }
    }

    /// <summary>The stream's output frame and when it arrived; a refusal the service sent back is an error.</summary>
    private static async Task<(ServerFrame Output, long Received)> First(ServiceStream stream, CancellationToken cancel)
    {
        (ServerFrame, long)? output = null;
        await foreach (var f in stream.ReadAllAsync(cancel))
            switch (f.Type)
            {
                case "output": output ??= (f, Stopwatch.GetTimestamp()); break;
                case "error": throw new InvalidDataException($"stream {stream.Info.Id}: the service refused a push: {f.Message}");
            }
        return output ?? throw new InvalidDataException($"stream {stream.Info.Id}: closed without an output");
    }

    /// <summary>A service that is not there is a clear error naming its address.</summary>
    internal static async Task<T> Reach<T>(Func<Task<T>> call, Uri url)
    {
        try { return await call(); }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new IOException($"--url {url}: no service answers there ({e.Message}); start one with hybridspike serve", e);
        }
    }
}
