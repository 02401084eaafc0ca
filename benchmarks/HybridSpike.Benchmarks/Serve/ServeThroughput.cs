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
/// <c>dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- serve --model M [--sequences N] [--out FILE]</c>;
/// <c>serve --model M --soak SECONDS --png FILE</c>: 64 streams without pause for that long, the process's resident
/// memory sampled every 5 s (the curve as a PNG); <c>serve --model M --second M2 --deploy-under-load</c>: M2 deployed
/// while 64 streams push in chunks, every stream checked against its own version offline.
/// </summary>
internal static class ServeThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        var model = Arg("--model", BenchNetworks.HsLmuArtifact() ?? "");
        if (!File.Exists(model)) { Console.Error.WriteLine("serve: --model M (an artifact) is needed"); return 1; }
        int sequences = int.Parse(Arg("--sequences", "256"), CultureInfo.InvariantCulture);
        if (Arg("--soak", "") is { Length: > 0 } soak) return await Soak(model, double.Parse(soak, CultureInfo.InvariantCulture), Arg("--png", "soak.png"));
        if (args.Contains("--deploy-under-load")) return await DeployUnderLoad(model, Arg("--second", ""));
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

        await using var app = await ServeApp.StartAsync(new ServeOptions(model, target, "http://127.0.0.1:0", 64, TimeSpan.FromMinutes(5), null), TextWriter.Null, CancellationToken.None);
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

    private static Task<ServeApp> Start(string model) =>
        ServeApp.StartAsync(new ServeOptions(model, new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()), "http://127.0.0.1:0", 64,
            TimeSpan.FromMinutes(5), null), TextWriter.Null, CancellationToken.None);

    /// <summary>64 streams back to back for <paramref name="seconds"/>; resident memory every 5 s; growth after the first minute.</summary>
    private static async Task<int> Soak(string model, double seconds, string png)
    {
        const int steps = 784;
        var digits = BenchNetworks.Digits(model, 64, 1);
        await using var app = await Start(model);
        using var client = new StreamClient(new Uri(app.Addresses[0]));
        var samples = new List<(double Seconds, double Megabytes)>();
        var clock = Stopwatch.StartNew();
        long streamed = 0;
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                GC.Collect();
                lock (samples) samples.Add((clock.Elapsed.TotalSeconds, BenchNetworks.ResidentBytes() / 1048576.0));
                try { await Task.Delay(5000, done.Token); } catch (OperationCanceledException) { }
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async lane =>
        {
            while (!done.IsCancellationRequested)
            {
                await using var s = await client.OpenAsync(new OpenStreamRequest([steps - 1], "wait", "msgpack"), CancellationToken.None);
                var reading = Task.Run(async () => { await foreach (var _ in s.ReadAllAsync(CancellationToken.None)) { } });
                for (int at = 0; at < steps; at += 98) await s.PushAsync(digits.AsMemory(lane * steps + at, 98), CancellationToken.None);
                await s.CompleteAsync(CancellationToken.None);
                await reading;
                Interlocked.Increment(ref streamed);
            }
        }));
        await sampler;
        var afterWarmUp = samples.Where(p => p.Seconds >= 60).ToList();
        double first = afterWarmUp.Count > 0 ? afterWarmUp[0].Megabytes : samples[0].Megabytes, last = samples[^1].Megabytes;
        var plt = new ScottPlot.Plot();
        plt.Add.Scatter(samples.Select(p => p.Seconds).ToArray(), samples.Select(p => p.Megabytes).ToArray());
        plt.XLabel("seconds");
        plt.YLabel("resident MB");
        plt.Title($"serve: 64 streams for {seconds:0} s ({streamed:N0} streams of {steps} steps)");
        plt.SavePng(png, 800, 400);
        Console.WriteLine($"soak: {seconds:0} s, 64 streams, {streamed:N0} streams of {steps} steps ({streamed * steps / seconds:N0} stream-steps/s); resident {samples[0].Megabytes:0} MB at start, {first:0} MB after 60 s, {last:0} MB at the end: {(last - first) / first:P1} growth after warm-up; curve {png}");
        return 0;
    }

    /// <summary>
    /// 64 streams open and pushing in chunks; <paramref name="second"/> deployed halfway through their input. Every
    /// stream must give its own version's offline output (none dropped, none seeing two models).
    /// </summary>
    private static async Task<int> DeployUnderLoad(string model, string second)
    {
        const int steps = 784, streams = 64;
        if (!File.Exists(second)) { Console.Error.WriteLine("serve --deploy-under-load: --second M2 (another artifact of the same widths) is needed"); return 1; }
        var digits = BenchNetworks.Digits(model, streams, 1);
        var expected = new Dictionary<string, double[][]>();
        string secondVersion = Core.Artifact.ArtifactFile.ReadWithDigest(second).Digest[..12];
        foreach (var m in new[] { model, second })
        {
            var artifact = Core.Artifact.ArtifactFile.ReadWithDigest(m);
            var mesh = Host.Services.CompileService.Compile(artifact.Artifact.Network, Mapping.Profiles.Profiles.Get("loihi"), new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()));
            var result = Core.Reference.FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(digits, streams, steps);
            expected[artifact.Digest[..12]] = [.. Enumerable.Range(0, streams).Select(i => result.Outputs.Row(i).ToArray())];
        }
        await using var app = await Start(model);
        using var client = new StreamClient(new Uri(app.Addresses[0]));
        var halfway = new CountdownEvent(streams);
        var deployed = new TaskCompletionSource();
        int wrong = 0, missing = 0, onSecond = 0;
        var clock = new Stopwatch();
        var work = Enumerable.Range(0, 2 * streams).Select(async k =>
        {
            int lane = k % streams;
            if (k >= streams) await deployed.Task;            // the second wave opens after the switch
            await using var s = await client.OpenAsync(new OpenStreamRequest([steps - 1], "wait", "msgpack"), CancellationToken.None);
            var outputs = new List<double[]>();
            var reading = Task.Run(async () => { await foreach (var f in s.ReadAllAsync(CancellationToken.None)) if (f.Type == "output") outputs.Add(f.Outputs!); });
            for (int at = 0; at < steps; at += 49)
            {
                await s.PushAsync(digits.AsMemory(lane * steps + at, 49), CancellationToken.None);
                if (k < streams && at == 392) { halfway.Signal(); await deployed.Task; }
            }
            await s.CompleteAsync(CancellationToken.None);
            await reading;
            if (outputs.Count != 1) Interlocked.Increment(ref missing);
            else if (!outputs[0].SequenceEqual(expected[s.Info.Version][lane])) Interlocked.Increment(ref wrong);
            if (s.Info.Version == secondVersion) Interlocked.Increment(ref onSecond);
        }).ToList();
        halfway.Wait();
        clock.Start();
        var bytes = await File.ReadAllBytesAsync(second);
        var now = await client.DeployAsync(bytes, CancellationToken.None);
        clock.Stop();
        deployed.SetResult();
        await Task.WhenAll(work);
        Console.WriteLine($"deployment under {streams} open streams: switched to {now.Version} in {clock.Elapsed.TotalMilliseconds:0} ms (read, checked, compiled, deployed); " +
            $"{2 * streams} streams ({streams} opened before, {streams} after): {missing} without exactly one output, {wrong} not equal to their version offline, {onSecond} on the new version");
        return missing == 0 && wrong == 0 ? 0 : 1;
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
