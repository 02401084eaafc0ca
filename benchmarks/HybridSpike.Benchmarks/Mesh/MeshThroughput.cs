using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;

namespace HybridSpike.Benchmarks.Mesh;

/// <summary>
/// Throughput of the actor mesh against the monolithic fixed-point loop on the same network and
/// inputs: time steps per second (per stream) and synaptic events per second (resident memory per synapse:
/// the monolithic benchmark, FixedPointBenchmarks). Runs of seconds, timed end to end (set-up of the run's actors included), median of
/// <c>repeats</c> after one warm-up run; the mesh's outputs are checked equal to the monolithic loop's.
/// Not BenchmarkDotNet: one measurement is a whole multi-second run, and the question is a ratio
/// between two runs of the same process. Usage:
/// <c>dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- mesh [--quick] [--json] [--out FILE]</c> (<c>--json</c>: the rows and ratios as JSON on stdout)
/// </summary>
internal static class MeshThroughput
{
    private sealed record Row(string Network, long Synapses, string Profile, int Cores, int Streams, string Dispatcher,
        double StreamStepsPerSecond, double EventsPerSecond, double MonolithicEventsPerSecond);

    /// <summary>A resident mesh against itself and against batch runs: chunked input, many streams.</summary>
    private sealed record ResidentRow(string Network, int Cores, int Streams, int Steps, string Measure, double StepsPerSecond, double BaselineStepsPerSecond)
    {
        public double Ratio => StepsPerSecond / BaselineStepsPerSecond;
    }

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool json = args.Contains("--json");
        int outAt = Array.IndexOf(args, "--out");
        string? outFile = outAt >= 0 && outAt + 1 < args.Length ? args[outAt + 1] : null;
        int repeats = quick ? 1 : 3;
        var rows = new List<Row>();
        var dispatchers = new (string Name, string? Hocon)[]
        {
            ("default", null),
            ("dedicated x1", MeshRuntime.DispatcherConfig(1)),
            ("dedicated x2", MeshRuntime.DispatcherConfig(2)),
        };

        var hslmu = BenchNetworks.HsLmuArtifact();
        if (hslmu is null) Console.Error.WriteLine("skipping the hsLMU: no trained model (set HYBRIDSPIKE_MODEL, or train configs/psmnist/hslmu-full.json into runs/psmnist-embedded/hslmu-full)");
        else
        {
            foreach (var profile in new[] { Profiles.Get("loihi"), BenchNetworks.LoihiWithUnits(32) })
            {
                var mesh = BenchNetworks.HsLmu(hslmu, profile);
                foreach (int streams in new[] { 1, 8, 64 })
                {
                    // One digit per stream: digits run back to back overflow the 8-bit memory after a few
                    // thousand steps (its discretized Ā is not stable for ever; docs/benchmarks/mesh.md).
                    var inputs = BenchNetworks.Digits(hslmu, streams, 1);
                    foreach (var d in dispatchers)
                        rows.Add(Measure("hsLMU (psMNIST digits)", mesh, inputs, streams, 784, d.Name, d.Hocon, quick ? 1 : 5));
                }
            }
        }
        foreach (var (units, dims) in new[] { (300, 64), (1000, 64), (2300, 64) })
        {
            var net = BenchNetworks.Layered(dims, units, 3, 5);
            var mesh = Compiler.Compile(net, Profiles.Get("loihi"), new SequentialPlacement());
            net = null;
            foreach (int streams in new[] { 1, 16 })
            {
                int steps = (int)Math.Clamp(4e9 / mesh.Network.Connections.Sum(c => c.Weights.Synapses) / streams, 20, 2000);
                if (quick) steps = Math.Max(10, steps / 10);
                var inputs = BenchNetworks.UniformInputs(streams, steps, dims, 9);
                foreach (var d in dispatchers.Skip(1))
                    rows.Add(Measure($"generated, 3 x {units} units", mesh, inputs, streams, steps, d.Name, d.Hocon, repeats));
            }
            mesh = null;
            GC.Collect();
        }

        // The resident mesh: deployed once (not timed), streams through it.
        var resident = new List<ResidentRow>();
        {
            var (name, mesh, inputs, steps) = hslmu is not null
                ? ("hsLMU (psMNIST digits)", BenchNetworks.HsLmu(hslmu, BenchNetworks.LoihiWithUnits(32)), BenchNetworks.Digits(hslmu, 64, 1), 784)
                : ResidentFallback(quick);
            resident.AddRange(MeasureResident(name, mesh, inputs, steps, quick ? 1 : 3));
        }

        var table = Table(rows) + "\n" + ResidentTable(resident);
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                mesh = rows.Select(r => new { r.Network, r.Synapses, r.Profile, r.Cores, r.Streams, r.Dispatcher, r.StreamStepsPerSecond, r.EventsPerSecond, r.MonolithicEventsPerSecond, Ratio = r.EventsPerSecond / r.MonolithicEventsPerSecond }),
                resident = resident.Select(r => new { r.Network, r.Cores, r.Streams, r.Steps, r.Measure, r.StepsPerSecond, r.BaselineStepsPerSecond, r.Ratio }),
            }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase }));
        else Console.WriteLine(table);
        if (outFile is not null) File.WriteAllText(outFile, table);
        return 0;
    }

    private static (string, CompiledMesh, double[], int) ResidentFallback(bool quick)
    {
        var net = BenchNetworks.Layered(64, 300, 3, 5);
        int steps = quick ? 100 : 400;
        return ("generated, 3 x 300 units", Compiler.Compile(net, Profiles.Get("loihi"), new SequentialPlacement()), BenchNetworks.UniformInputs(64, steps, 64, 9), steps);
    }

    /// <summary>
    /// One stream pushed in 1-step chunks against the same stream pushed whole, and 64 streams through one resident
    /// deployment against the batch run of the same 64 (MeshRuntime.RunWithTelemetryAsync, which deploys per run).
    /// Stream-steps per second, median of <paramref name="repeats"/> after a warm-up; outputs checked against the loop.
    /// </summary>
    private static List<ResidentRow> MeasureResident(string name, CompiledMesh mesh, double[] inputs, int steps, int repeats)
    {
        int dims = mesh.Network.Input.Dimensions, streams = inputs.Length / (steps * dims);
        var expected = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, streams, steps, null);
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off\n" + MeshRuntime.DispatcherConfig(Environment.ProcessorCount));
        using var system = ActorSystem.Create("bench", config);
        var deployment = HybridSpike.Actors.Runtime.Deployment.MeshDeployment.StartAsync(system, mesh,
            HybridSpike.Actors.Runtime.Deployment.DeploymentOptions.Local(streams), CancellationToken.None).GetAwaiter().GetResult();
        var reads = HybridSpike.Actors.Runtime.Session.StreamOptions.Default.WithReads(HybridSpike.Actors.Runtime.Session.OutputReads.AtSteps([steps - 1]));

        double Streams(int count, int chunk)
        {
            var sw = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, count).Select(async s =>
            {
                var stream = await deployment.OpenAsync(reads, CancellationToken.None);
                var input = inputs.AsMemory(s * steps * dims, steps * dims);
                for (int at = 0; at < steps; at += chunk)
                    await stream.PushAsync(input.Slice(at * dims, Math.Min(chunk, steps - at) * dims), CancellationToken.None);
                stream.Complete();
                HybridSpike.Actors.Runtime.Session.StreamOutput? last = null;
                await foreach (var o in stream.ReadAllAsync(CancellationToken.None)) last = o;
                if (!last!.Activity.AsSpan().SequenceEqual(expected.Outputs.Row(s)))
                    throw new InvalidOperationException($"{name}: stream {s}'s output differs from the monolithic loop's");
            }).ToArray();
            Task.WaitAll(tasks);
            return (double)count * steps / sw.Elapsed.TotalSeconds;
        }

        double Batch()
        {
            var sw = Stopwatch.StartNew();
            var run = MeshRuntime.RunAsync(system, mesh, BenchNetworks.Immutable(inputs), streams, steps, null, CancellationToken.None).GetAwaiter().GetResult();
            if (!run.Outputs.Values.Span.SequenceEqual(expected.Outputs.Values.Span)) throw new InvalidOperationException($"{name}: the batch run's outputs differ");
            return (double)streams * steps / sw.Elapsed.TotalSeconds;
        }

        double MedianOf(Func<double> f)
        {
            f();
            return Median([.. Enumerable.Range(0, repeats).Select(_ => f())]);
        }
        var rows = new List<ResidentRow>();
        double whole = MedianOf(() => Streams(1, steps)), single = MedianOf(() => Streams(1, 1));
        rows.Add(new ResidentRow(name, mesh.Cores.Length, 1, steps, "1-step chunks / whole", single, whole));
        double batch = MedianOf(Batch), residentMany = MedianOf(() => Streams(streams, steps));
        rows.Add(new ResidentRow(name, mesh.Cores.Length, streams, steps, "resident / batch run", residentMany, batch));
        deployment.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var r in rows) Console.Error.WriteLine(FormatResident(r));
        return rows;
    }

    private static string FormatResident(ResidentRow r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Network} | {r.Cores} | {r.Streams} | {r.Steps} | {r.Measure} | {r.StepsPerSecond:N0} | {r.BaselineStepsPerSecond:N0} | {r.Ratio:P0} |");

    private static string ResidentTable(List<ResidentRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| network | cores | streams | steps | measure | stream-steps/s | baseline stream-steps/s | ratio |");
        sb.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (var r in rows) sb.AppendLine(FormatResident(r));
        return sb.ToString();
    }

    private static Row Measure(string name, CompiledMesh mesh, double[] inputs, int streams, int steps, string dispatcher, string? hocon, int repeats)
    {
        var fixedNet = mesh.Discretized.FixedPoint();
        long synapses = fixedNet.Weights.Sum(w => (long)w.Mantissas.Count(m => m != 0));
        var monolithic = FixedPointSimulator.Create(fixedNet);
        var expected = monolithic.Run(inputs, streams, steps, null);
        var monoTimes = new List<double>();
        long monoEvents = 0;
        for (int r = 0; r < repeats; r++)
        {
            long e0 = monolithic.SynapticEvents;
            var sw = Stopwatch.StartNew();
            monolithic.Run(inputs, streams, steps, null);
            monoTimes.Add(sw.Elapsed.TotalSeconds);
            monoEvents = monolithic.SynapticEvents - e0;
        }
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off\n" + (hocon ?? ""));
        using var system = ActorSystem.Create("bench", config);
        var immutableInputs = BenchNetworks.Immutable(inputs);
        MeshRuntime.RunWithTelemetryAsync(system, mesh, immutableInputs, streams, steps, null, CancellationToken.None).GetAwaiter().GetResult(); // warm-up
        var times = new List<double>();
        long events = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            var run = MeshRuntime.RunWithTelemetryAsync(system, mesh, immutableInputs, streams, steps, null, CancellationToken.None).GetAwaiter().GetResult();
            times.Add(sw.Elapsed.TotalSeconds);
            events = run.Telemetry.SynapticEvents;
            if (!run.Result.Predictions.SequenceEqual(expected.Predictions) || !run.Result.Outputs.Values.Span.SequenceEqual(expected.Outputs.Values.Span))
                throw new InvalidOperationException($"{name}: the mesh's outputs differ from the monolithic loop's");
        }
        if (events != monoEvents) throw new InvalidOperationException($"{name}: the mesh counted {events} events, the monolithic loop {monoEvents}");
        double t = Median(times), tm = Median(monoTimes);
        var row = new Row(name, synapses, mesh.Profile.Name, mesh.Cores.Length, streams, dispatcher,
            (double)streams * steps / t, events / t, monoEvents / tm);
        Console.Error.WriteLine(Format(row));
        return row;
    }

    private static double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);

    private static string Format(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Network} | {r.Synapses:N0} | {r.Profile} | {r.Cores} | {r.Streams} | {r.Dispatcher} | {r.StreamStepsPerSecond:N0} | {r.EventsPerSecond:E2} | {r.MonolithicEventsPerSecond:E2} | {r.EventsPerSecond / r.MonolithicEventsPerSecond:P0} |");

    private static string Table(List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| network | synapses | profile | cores | streams | dispatcher | stream-steps/s | mesh events/s | monolithic events/s | mesh / monolithic |");
        sb.AppendLine("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var r in rows) sb.AppendLine(Format(r));
        return sb.ToString();
    }
}
