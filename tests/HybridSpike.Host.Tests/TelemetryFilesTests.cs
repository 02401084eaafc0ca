using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Reports;

namespace HybridSpike.Host.Tests;

/// <summary>The telemetry's CSV files and report.json against docs/telemetry.md, on a network small enough to check by hand.</summary>
public sealed class TelemetryFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-telemetry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "telemetry.md"));

    /// <summary>The first column (in backticks) of the table under the heading "### `name`" of docs/telemetry.md.</summary>
    private static List<(string Name, string Row)> Documented(string name)
    {
        var lines = Doc.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == $"### `{name}`");
        Assert.True(start >= 0, $"docs/telemetry.md has no section for {name}");
        var rows = new List<(string, string)>();
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith('#')))
            if (line.StartsWith("| `", StringComparison.Ordinal))
            {
                var first = line.Split('|')[1].Trim();
                rows.Add((first.Trim('`'), line));
            }
        return rows;
    }

    /// <summary>As the Actors tests' hand-built network: six biased units of "a" on cores 0-3 (test profile) send n = 1 to "out" on core 4, on the next chip; "out" hears itself one step later.</summary>
    private static CompiledMesh HandMesh()
    {
        int[] biased = [0, 1, 32, 33, 34, 48];
        var net = new NetworkDescription(
            [new Population("a", 64, Activation.Linear, 1.0, [.. Enumerable.Range(0, 64).Select(u => biased.Contains(u) ? 1.0 : 0.0)], InitialStateMode.Zeros, 0),
             new Population("out", 3, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "a", new DenseWeights(Matrix.Create(64, 1, (u, _) => biased.Contains(u) ? 1 : 0)), Delay.SameStep),
             new Connection("a", "out", new DenseWeights(Matrix.Create(3, 64, (_, u) => biased.Contains(u) ? 0.25 : 0)), Delay.SameStep),
             new Connection("out", "out", new DenseWeights(Matrix.Create(3, 3, (i, j) => i == j ? 0.25 : 0)), Delay.OneStep)],
            new InputMapping(1, "hand"), new OutputMapping("out", OutputMapping.LastStep));
        return Compiler.Compile(net, Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement(), new CompileOptions(false, ExponentBlock.Core));
    }

    private static async Task<MeshTelemetry> RunHand(CompiledMesh mesh)
    {
        using var system = ActorSystem.Create("telemetry-files", "akka.loglevel = WARNING\nakka.log-dead-letters = off");
        var run = await MeshRuntime.RunWithTelemetryAsync(system, mesh, [0, 0, 0, 0, 0, 0, -1, 0], 2, 4, null, CancellationToken.None);
        await system.Terminate();
        return run.Telemetry;
    }

    private static (string[] Header, string[][] Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllText(path).Split('\n');
        Assert.Equal("", lines[^1]);   // ends with a line end
        var header = lines[0].Split(',');
        var rows = lines[1..^1].Select(l => l.Split(',')).ToArray();
        Assert.All(rows, r => Assert.Equal(header.Length, r.Length));
        return (header, rows);
    }

    private static long Long(string cell) => long.Parse(cell, CultureInfo.InvariantCulture);
    private static double Double(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_csv_files_have_the_documented_columns_and_add_up_to_the_hand_computed_totals()
    {
        var mesh = HandMesh();
        var t = await RunHand(mesh);
        TelemetryFiles.Write(_dir, mesh, t);

        foreach (var (file, columns) in TelemetryFiles.Files)
        {
            var (header, _) = ReadCsv(Path.Combine(_dir, file));
            Assert.Equal(columns, header);
            Assert.Equal(Documented(file).Select(d => d.Name), header);
        }

        var cores = ReadCsv(Path.Combine(_dir, "cores.csv")).Rows;
        Assert.Equal(["0,a,0,16,0,0,0,0,0,0,2,128,14,14,0", "1,a,16,16,0,0,1,0,1,0,0,128,0,0,0", "2,a,32,16,0,0,0,1,0,1,3,128,21,21,0",
            "3,a,48,16,0,0,1,1,1,1,1,128,7,7,0", "4,out,0,3,1,0,0,0,2,0,144,24,0,24,66"], cores.Select(r => string.Join(',', r)));

        var (stepHeader, steps) = ReadCsv(Path.Combine(_dir, "steps.csv"));
        int Col(string name) => Array.IndexOf(stepHeader, name);
        long Sum(string name) => steps.Sum(r => Long(r[Col(name)]));
        Assert.Equal([0, 1, 2, 3], steps.Select(r => Long(r[Col("step")])));
        Assert.Equal([18, 18, 12, 18], steps.Select(r => Long(r[Col("packets_sent")])));
        // "a"'s spikes are all +1 (key-only); only "out"'s 3 graded payloads × 2 streams carry a payload.
        Assert.Equal([6, 6, 6, 6], steps.Select(r => Long(r[Col("payload_packets_sent")])));
        Assert.Equal((42, 66, 66, 150, 536, 24, 42), (Sum("spikes"), Sum("packets_sent"), Sum("packets_received"), Sum("synaptic_events"), Sum("neuron_updates"),
            Sum("intra_chip_packets"), Sum("inter_chip_packets")));
        Assert.Equal(t.EnergyJoules, steps.Sum(r => Double(r[Col("energy_joules")])), t.EnergyJoules * 1e-12);
        Assert.Equal(t.SecondsPerInference, steps.Sum(r => Double(r[Col("time_seconds")])), 1e-18);
        Assert.All(steps, r => Assert.Equal(Double(r[Col("time_seconds")]),
            Double(r[Col("serialization_seconds")]) + Double(r[Col("route_seconds")]) + Double(r[Col("barrier_seconds")]), 1e-18));
        Assert.All(steps, r => Assert.Equal("1,1,2,1,E", string.Join(',', r[Col("busiest_link_from_x")..(Col("busiest_link_direction") + 1)])));
        Assert.Equal([8, 8, 4, 8], steps.Select(r => Long(r[Col("busiest_link_packets")])));

        var coreSteps = ReadCsv(Path.Combine(_dir, "core-steps.csv")).Rows;
        Assert.Equal(4 * 5, coreSteps.Length);
        Assert.Equal("2,4,24,6,0,6,6,12", string.Join(',', coreSteps.Single(r => r[0] == "2" && r[1] == "4")));

        var links = ReadCsv(Path.Combine(_dir, "links.csv")).Rows.Select(r => string.Join(',', r));
        Assert.Equal(["1,1,2,1,E,1,28,7,8,0", "2,1,2,0,N,0,28,7,8,0", "0,1,1,1,E,0,21,5.25,6,0", "0,0,1,0,E,0,14,3.5,4,0", "1,0,2,0,E,1,14,3.5,4,0"], links);
        var hops = ReadCsv(Path.Combine(_dir, "hops.csv")).Rows.Select(r => string.Join(',', r));
        Assert.Equal(["0,24", "1,0", "2,21", "3,21"], hops);
    }

    [Fact]
    public void Report_json_has_the_documented_fields()
    {
        var link = new LinkReport(0, 0, 1, 0, "E", 5, false, 1.25, 2, 1);
        var core = new CoreReport(0, 1, 2, 3, 4, 5, [4], new Dictionary<int, long> { [1] = 4 }, "a", 0, 16, 0, 0, 0, 0, 0, 0);
        var report = new MeshRunReport("m.hsa", "test", 1, 1, 1, 1, 1, 1, 0, 2.5, 0.5, 3, 3, 4, 1, 4, 0, 1e-9, 5e-7, link,
            new SortedDictionary<int, long> { [1] = 4 }, [core], 2, 5, new EnergyEstimate(1, 2, 3, 4), 5e-7, 5e-7, 1);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, Cli.Json));
        var documented = Documented("report.json");
        Assert.Equal(documented.Select(d => d.Name), json.RootElement.EnumerateObject().Select(p => p.Name));
        // The fields of the nested objects are named in their field's row.
        foreach (var (name, nested) in new[] { ("busiestLink", json.RootElement.GetProperty("busiestLink")), ("coreTable", json.RootElement.GetProperty("coreTable")[0]),
            ("energy", json.RootElement.GetProperty("energy")) })
        {
            var row = documented.Single(d => d.Name == name).Row;
            Assert.All(nested.EnumerateObject(), p => Assert.Contains($"`{p.Name}`", row));
        }
    }
}
