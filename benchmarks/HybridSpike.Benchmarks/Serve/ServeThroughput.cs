using System.Diagnostics;
using System.Globalization;
using System.Text;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Benchmarks.Mesh;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Hosting;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Benchmarks.Serve;

/// <summary>
/// The streaming service over loopback against the resident mesh it serves from, in one process: sustained
/// stream-steps/s with 1, 8 and 64 concurrent streams (each test digit a stream, pushed whole, read at its last step)
/// against the same digits streamed straight into a deployment of the same mesh (what <c>simulate</c> does), and the
/// per-step latency of one stream in 1-step chunks (push a step, wait for its output). Usage:
/// <c>dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- serve --model M [--sequences N] [--out FILE]</c>
/// </summary>
internal static class ServeThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        var model = Arg("--model", BenchNetworks.HsLmuArtifact() ?? "");
        if (!File.Exists(model)) { Console.Error.WriteLine("serve: --model M (an artifact) is needed"); return 1; }
        int sequences = int.Parse(Arg("--sequences", "256"), CultureInfo.InvariantCulture);
        var outFile = Arg("--out", "");
        var target = new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential());
        var digits = BenchNetworks.Digits(model, sequences, 1);
        const int steps = 784;
        var report = new StringBuilder();
        report.AppendLine($"model {model}, {sequences} test digits of {steps} steps, loihi, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
        report.AppendLine();

        // The resident mesh alone: the digits streamed straight into a deployment, 64 slots.
        double direct;
        {
            var artifact = Core.Artifact.ArtifactFile.Read(model);
            var mesh = Host.Services.CompileService.Compile(artifact.Network, Mapping.Profiles.Profiles.Get("loihi"), target);
            await using var host = await MeshHost.StartLocalAsync();
            await using var deployment = await MeshDeployment.StartAsync(host.System, mesh, DeploymentOptions.Local(64), CancellationToken.None);
            await Direct(deployment, digits, Math.Min(64, sequences), steps); // warm-up
            var clock = Stopwatch.StartNew();
            await Direct(deployment, digits, sequences, steps);
            direct = sequences * (double)steps / clock.Elapsed.TotalSeconds;
        }
        report.AppendLine("| concurrent streams | service stream-steps/s | the mesh alone (64 slots) | ratio |");
        report.AppendLine("| ---: | ---: | ---: | ---: |");

        await using var app = await ServeApp.StartAsync(new ServeOptions(model, target, "http://127.0.0.1:0", 64, TimeSpan.FromMinutes(5)), TextWriter.Null, CancellationToken.None);
        using var client = new StreamClient(new Uri(app.Addresses[0]));
        await Served(client, digits, Math.Min(64, sequences), 8, steps); // warm-up
        foreach (int c in new[] { 1, 8, 64 })
        {
            var clock = Stopwatch.StartNew();
            await Served(client, digits, sequences, c, steps);
            double rate = sequences * (double)steps / clock.Elapsed.TotalSeconds;
            report.AppendLine($"| {c} | {rate:N0} | {direct:N0} | {rate / direct:P0} |");
        }

        // One stream in 1-step chunks: a step pushed, its output awaited, the next pushed.
        var latencies = new List<double>();
        await using (var s = await client.OpenAsync(new OpenStreamRequest(null, "wait", "msgpack"), CancellationToken.None))
        {
            await using var frames = s.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
            int measured = Math.Min(sequences, 4) * steps;
            for (int t = 0; t < measured; t++)
            {
                long start = Stopwatch.GetTimestamp();
                await s.PushAsync(digits.AsMemory(t % digits.Length, 1), CancellationToken.None);
                if (!await frames.MoveNextAsync() || frames.Current.Type != "output") throw new InvalidOperationException($"step {t}: no output");
                if (t >= steps) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); // the first digit warms up
            }
            await s.CompleteAsync(CancellationToken.None);
        }
        latencies.Sort();
        double Q(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        report.AppendLine();
        report.AppendLine($"one stream in 1-step chunks (push to output, msgpack frames, {latencies.Count:N0} steps): p50 {Q(0.5):0.000} ms, p99 {Q(0.99):0.000} ms, max {latencies[^1]:0.000} ms");
        Console.Write(report);
        if (outFile.Length > 0) File.WriteAllText(outFile, report.ToString());
        return 0;
    }

    private static async Task Direct(MeshDeployment deployment, double[] digits, int sequences, int steps)
    {
        var options = StreamOptions.Default.WithReads(OutputReads.AtSteps([steps - 1]));
        using var slots = new SemaphoreSlim(deployment.Options.Slots);
        await Task.WhenAll(Enumerable.Range(0, sequences).Select(async i =>
        {
            await slots.WaitAsync();
            try
            {
                var stream = await deployment.OpenAsync(options, CancellationToken.None);
                await stream.PushAsync(digits.AsMemory(i * steps, steps), CancellationToken.None);
                stream.Complete();
                await foreach (var _ in stream.ReadAllAsync(CancellationToken.None)) { }
            }
            finally { slots.Release(); }
        }));
    }

    private static async Task Served(StreamClient client, double[] digits, int sequences, int concurrency, int steps)
    {
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(Enumerable.Range(0, sequences).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await using var s = await client.OpenAsync(new OpenStreamRequest([steps - 1], "wait", "msgpack"), CancellationToken.None);
                var reading = Task.Run(async () => { await foreach (var _ in s.ReadAllAsync(CancellationToken.None)) { } });
                await s.PushAsync(digits.AsMemory(i * steps, steps), CancellationToken.None);
                await s.CompleteAsync(CancellationToken.None);
                await reading;
            }
            finally { gate.Release(); }
        }));
    }
}
