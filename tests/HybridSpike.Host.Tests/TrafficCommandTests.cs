using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Host.Tests;

/// <summary>One <c>traffic</c> run on the small psMNIST artifact, shared by the tests that read its files: three profiles × two placements, the mesh check on one sample.</summary>
public sealed class TrafficRun : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("hs-traffic-").FullName;
    public string Report => Path.Combine(Dir, "report");
    public string Model { get; }
    internal CliResult Result { get; }

    /// <summary>A file of someone else's, in the report folder before the run.</summary>
    public const string Unrelated = "notes.txt";

    public TrafficRun()
    {
        Model = TestArtifacts.SmallPsMnist(Dir);
        Directory.CreateDirectory(Report);
        File.WriteAllText(Path.Combine(Report, Unrelated), "mine");
        Result = CliRunner.Run("traffic", "--model", Model, "--profiles", "loihi,spinnaker,spinnaker2", "--placers", "sequential,random:3",
            "--samples", "3", "--check-mesh", "1", "--report", Report, "--json");
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary><c>hybridspike traffic</c>: one row per combination with the same spikes, the files, the mesh check, and bad input named.</summary>
// With the process tests, not beside them: its study (compiles, golden runs, mesh checks) loads both cores, and the
// cluster and Ctrl-C process tests time their signals against other processes.
[Collection(ProcessTests.Name)]
public sealed class TrafficCommandTests(TrafficRun run) : IClassFixture<TrafficRun>
{
    private static readonly string[] Combinations = ["loihi/sequential", "loihi/random:3", "spinnaker/sequential", "spinnaker/random:3", "spinnaker2/sequential", "spinnaker2/random:3"];

    private JsonElement[] Rows()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        return [.. JsonDocument.Parse(run.Result.Output).RootElement.GetProperty("rows").EnumerateArray()];
    }

    [Fact]
    public void Every_combination_has_one_row_in_order_in_the_json_the_csv_and_the_markdown()
    {
        var rows = Rows();
        Assert.Equal(Combinations, rows.Select(r => $"{r.GetProperty("profile").GetString()}/{r.GetProperty("placement").GetString()}"));
        var csv = File.ReadAllLines(Path.Combine(run.Report, "traffic.csv"));
        Assert.Equal(1 + Combinations.Length, csv.Length);
        Assert.Equal(Combinations, csv.Skip(1).Select(l => string.Join("/", l.Split(',').Take(2))));
        var table = File.ReadAllLines(Path.Combine(run.Report, "traffic.md")).Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(2).ToArray();   // after the header and its rule
        Assert.Equal(Combinations, table.Select(l => string.Join("/", l.Split('|', StringSplitOptions.TrimEntries).Skip(1).Take(2))));
    }

    [Fact]
    public void The_json_on_stdout_is_the_json_file()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        Assert.Equal(File.ReadAllText(Path.Combine(run.Report, "traffic.json")).Trim(), run.Result.Output.Trim());
    }

    [Fact]
    public void Spikes_injected_packets_and_deliveries_are_the_same_on_every_combination()
    {
        var rows = Rows();
        // The same fixed-point network everywhere: the same spikes; the same cores' payloads to the same populations' cores.
        Assert.Single(rows.Select(r => r.GetProperty("spikes").GetInt64()).Distinct());
        Assert.True(rows[0].GetProperty("spikes").GetInt64() > 0);
        Assert.Single(rows.Select(r => r.GetProperty("packetsInjected").GetInt64()).Distinct());
        Assert.Single(rows.Select(r => r.GetProperty("deliveries").GetInt64()).Distinct());
    }

    [Fact]
    public void The_common_weight_precision_is_the_smallest_and_the_report_says_so()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        var root = JsonDocument.Parse(run.Result.Output).RootElement;
        int loihi = Mapping.Profiles.Profiles.Get("loihi").Core.WeightBits, spinnaker = Mapping.Profiles.Profiles.Get("spinnaker").Core.WeightBits;
        Assert.Equal(Math.Min(loihi, spinnaker), root.GetProperty("commonWeightBits").GetInt32());
        Assert.Contains($"**{Math.Min(loihi, spinnaker)}-bit weights** on every profile", File.ReadAllText(Path.Combine(run.Report, "traffic.md")));
    }

    [Fact]
    public void Every_combination_passed_the_mesh_check()
    {
        Assert.All(Rows(), r => Assert.Equal(1, r.GetProperty("meshChecked").GetInt32()));
    }

    [Fact]
    public void Tables_are_counted_on_the_torus_profiles_only()
    {
        var rows = Rows();
        Assert.All(rows.Where(r => r.GetProperty("profile").GetString() == "loihi"), r => Assert.False(r.TryGetProperty("tables", out _)));
        foreach (var r in rows.Where(r => r.GetProperty("profile").GetString() != "loihi"))
        {
            var t = r.GetProperty("tables");
            Assert.True(t.GetProperty("built").GetInt64() >= t.GetProperty("withoutDefaultRoutes").GetInt64());
            Assert.Equal(t.GetProperty("withoutDefaultRoutes").GetInt64(), t.GetProperty("compressed").GetProperty("none").GetInt64());
        }
    }

    [Fact]
    public void The_four_files_are_written_and_an_unrelated_file_is_left_alone()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        foreach (var f in new[] { "traffic.md", "traffic.json", "traffic.csv", "traffic-links.png" })
            Assert.True(new FileInfo(Path.Combine(run.Report, f)).Length > 0, f);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(run.Report, TrafficRun.Unrelated)));
    }

    [Fact]
    public void The_link_picture_has_one_panel_per_combination_side_by_side()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        var png = File.ReadAllBytes(Path.Combine(run.Report, "traffic-links.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        // IHDR: the width (bytes 16-19, big-endian) grows with the panels, 420 pixels each.
        int width = (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19];
        Assert.Equal(420 * Combinations.Length, width);
    }

    [Theory]
    [InlineData("unknown profile 'nope'; valid: loihi", "--profiles", "loihi,nope")]
    [InlineData("--placers: --placement 'zigzag' is not one of", "--placers", "zigzag")]
    [InlineData("--samples must be from 1", "--samples", "0")]
    [InlineData("--check-mesh 5: more than the 3 --samples", "--samples", "3", "--check-mesh", "5")]
    [InlineData("--profiles: 'loihi' is listed twice", "--profiles", "loihi,loihi")]
    public void Bad_input_exits_non_zero_and_names_the_problem(string message, params string[] options)
    {
        string[] args = ["traffic", "--model", run.Model, .. options];
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    [Fact]
    public void A_missing_model_exits_non_zero_and_names_it()
    {
        var missing = Path.Combine(run.Dir, "none.hsa");
        var r = CliRunner.Run("traffic", "--model", missing, "--samples", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("none.hsa", r.Error);
    }

    [Fact]
    public void The_mesh_check_names_the_first_count_that_differs()
    {
        var artifact = ArtifactFile.Read(run.Model);
        var mesh = Compiler.Compile(artifact.Network, Mapping.Profiles.Profiles.Get("loihi"), new SequentialPlacement());
        var (_, activity) = OfflineTraffic.Run(mesh, new double[784], 1, 784);
        var offline = OfflineTraffic.Telemetry(mesh, activity);
        Assert.Null(TrafficService.FirstDifference(offline, offline));
        var core = offline.Cores[0];
        var changed = core with { SpikesPerStep = core.SpikesPerStep.SetItem(5, core.SpikesPerStep[5] + 1) };
        var other = offline with { Cores = offline.Cores.SetItem(0, changed) };
        Assert.Equal($"core 0 spikes at step 5: offline {core.SpikesPerStep[5]}, mesh {core.SpikesPerStep[5] + 1}", TrafficService.FirstDifference(offline, other));
    }

    [Fact]
    public void The_mesh_check_names_a_payload_packet_count_that_differs()
    {
        var artifact = ArtifactFile.Read(run.Model);
        var mesh = Compiler.Compile(artifact.Network, Mapping.Profiles.Profiles.Get("spinnaker"), new SequentialPlacement());
        var (_, activity) = OfflineTraffic.Run(mesh, new double[784], 1, 784);
        var offline = OfflineTraffic.Telemetry(mesh, activity);
        int k = offline.Cores.IndexOf(offline.Cores.First(c => !c.PacketsToPerStep.IsEmpty));
        var core = offline.Cores[k];
        int to = core.PayloadPacketsToPerStep.Keys.Min();
        long was = core.PayloadPacketsToPerStep[to][5];
        var changed = core with { PayloadPacketsToPerStep = core.PayloadPacketsToPerStep.SetItem(to, core.PayloadPacketsToPerStep[to].SetItem(5, was + 1)) };
        var other = offline with { Cores = offline.Cores.SetItem(k, changed) };
        Assert.Equal($"core {core.Core} payload packets to core {to} at step 5: offline {was}, mesh {was + 1}", TrafficService.FirstDifference(offline, other));
    }
}
