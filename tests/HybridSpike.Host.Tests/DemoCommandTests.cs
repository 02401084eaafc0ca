using System.Text.Json;
using HybridSpike.Core.Artifact;

namespace HybridSpike.Host.Tests;

public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Demo_trains_compiles_runs_the_mesh_and_writes_a_report_that_a_second_run_does_not_overwrite()
    {
        var folder = Path.Combine(_dir, "demo");
        Directory.CreateDirectory(folder);
        var notes = Path.Combine(folder, "notes.txt");
        File.WriteAllText(notes, "mine");

        // Kept small for CI: one epoch on 200 training digits, 6 test digits through the mesh. Text on stdout, the summary in report.json.
        var r = CliRunner.Run("demo", "--out", folder, "--epochs", "1", "--train-limit", "200", "--samples", "6", "--streams", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("actor mesh", r.Output);
        Assert.Contains("same prediction as the fixed-point model on every digit", r.Output);
        Assert.Contains($"report: {folder}", r.Output);
        Assert.Equal("mine", File.ReadAllText(notes));

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        var root = doc.RootElement;
        Assert.Equal(folder, root.GetProperty("folder").GetString());
        var accuracy = root.GetProperty("accuracy");
        Assert.Equal(6, accuracy.GetProperty("meshSamples").GetInt32());
        Assert.Equal(2000, accuracy.GetProperty("torchSharpSamples").GetInt32());
        Assert.Equal(accuracy.GetProperty("fixedPoint").GetDouble(), accuracy.GetProperty("mesh").GetDouble());
        Assert.Equal(0, accuracy.GetProperty("predictionsDifferingFromFixedPoint").GetInt32());
        Assert.InRange(accuracy.GetProperty("torchSharpFloat32").GetDouble(), 0, 1);
        var training = root.GetProperty("training");
        Assert.Equal("hslmu-tiny", training.GetProperty("name").GetString());
        Assert.Equal(1, training.GetProperty("epochs").GetInt32());
        Assert.Equal(200, training.GetProperty("trainSequences").GetInt32());
        Assert.Single(training.GetProperty("history").EnumerateArray());
        var compile = root.GetProperty("compile");
        Assert.Equal("loihi", compile.GetProperty("profile").GetString());
        Assert.Equal("row", compile.GetProperty("exponent").GetString());
        Assert.Equal(3, compile.GetProperty("cores").GetInt32());
        var mesh = root.GetProperty("mesh");
        Assert.Equal(6, mesh.GetProperty("samples").GetInt32());
        Assert.Equal(mesh.GetProperty("fixedPointSpikes").GetInt64(), mesh.GetProperty("spikes").GetInt64());
        Assert.True(mesh.GetProperty("spikes").GetInt64() > 0);
        Assert.True(mesh.GetProperty("synapticEvents").GetInt64() > 0);
        Assert.Equal(mesh.GetProperty("packets").GetInt64(), mesh.GetProperty("intraChipPackets").GetInt64() + mesh.GetProperty("interChipPackets").GetInt64());
        Assert.True(mesh.GetProperty("packets").GetInt64() > 0);
        Assert.True(mesh.GetProperty("busiestLink").GetProperty("packets").GetInt64() > 0);
        Assert.True(mesh.GetProperty("energyPerInferenceJoules").GetDouble() > 0);
        Assert.True(mesh.GetProperty("secondsPerStep").GetDouble() > 0);
        Assert.InRange(mesh.GetProperty("activityBits").GetDouble(), 1, 32);

        // The folder: cores.csv one row per core (docs/telemetry.md; TelemetryFilesTests checks every file), real PNGs, and the trained model.
        var csv = File.ReadAllLines(Path.Combine(folder, "cores.csv"));
        Assert.Equal("core,population,first_unit,units,chip_x,chip_y,core_x,core_y,x,y,synaptic_events,neuron_updates,spikes,packets_sent,packets_received", csv[0]);
        Assert.Equal(["memory", "hidden", "output"], csv.Skip(1).Select(line => line.Split(',')[1]));
        Assert.All(csv.Skip(1), line => Assert.All(line.Split(',').Where((_, i) => i != 1), v => long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)));
        var steps = File.ReadAllLines(Path.Combine(folder, "steps.csv"));
        Assert.Equal(1 + mesh.GetProperty("steps").GetInt32(), steps.Length);
        Assert.Equal(mesh.GetProperty("packets").GetInt64(), steps.Skip(1).Sum(line => long.Parse(line.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(mesh.GetProperty("packets").GetInt64(), mesh.GetProperty("packetsReceived").GetInt64());
        foreach (var png in new[] { "link-load.png", "traffic-per-step.png", "spike-raster.png", "training.png" })
            Assert.Equal(PngSignature, File.ReadAllBytes(Path.Combine(folder, png)).Take(8));
        using (JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "history.json")))) { }
        using (JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))) { }
        Assert.Equal(3, ArtifactFile.Read(Path.Combine(folder, "model.hsa")).Network.Populations.Length);

        // --resume finishes a demo from its checkpoint, with the checkpoint's config (1 epoch, 200 digits): the same model.
        var resumed = Path.Combine(_dir, "resumed");
        Directory.CreateDirectory(resumed);
        File.Copy(Path.Combine(folder, "checkpoint.hsckpt"), Path.Combine(resumed, "checkpoint.hsckpt"));
        var continued = CliRunner.Run("demo", "--out", resumed, "--resume", "--samples", "4", "--streams", "2", "--json");
        Assert.True(continued.ExitCode == 0, continued.Error);
        Assert.Contains($"demo: report and pictures in {resumed}", continued.Error);
        Assert.Equal(continued.Output.Trim(), File.ReadAllText(Path.Combine(resumed, "report.json")).Trim());
        using (var c = JsonDocument.Parse(continued.Output))
        {
            var t = c.RootElement.GetProperty("training");
            Assert.True(t.GetProperty("resumed").GetBoolean());
            Assert.Equal(1, t.GetProperty("epochs").GetInt32());
            Assert.Equal(200, t.GetProperty("trainSequences").GetInt32());
            Assert.Equal(accuracy.GetProperty("torchSharpFloat32").GetDouble(), c.RootElement.GetProperty("accuracy").GetProperty("torchSharpFloat32").GetDouble());
            Assert.Equal(4, c.RootElement.GetProperty("mesh").GetProperty("samples").GetInt32());
        }

        // A second run refuses the finished demo and changes nothing.
        var before = Snapshot(folder);
        var again = CliRunner.Run("demo", "--out", folder, "--epochs", "1", "--train-limit", "200", "--samples", "6");
        Assert.Equal(Cli.BadInput, again.ExitCode);
        Assert.Contains("finished demo", again.Error);
        Assert.Contains("--force", again.Error);
        var resume = CliRunner.Run("demo", "--out", folder, "--resume");
        Assert.Equal(Cli.BadInput, resume.ExitCode);
        Assert.Equal(before, Snapshot(folder));
    }

    [Fact]
    public void Bad_input_is_refused_before_the_folder_is_touched()
    {
        var fresh = Path.Combine(_dir, "fresh");
        foreach (var (args, message) in new[]
        {
            (new[] { "--samples", "0" }, "--samples must be from 1 to 100,000, got 0"),
            (["--samples", "-3"], "--samples must be from 1 to 100,000, got -3"),
            (["--samples", "2001"], "--samples 2,001: the test split of mnist-embedded has only 2,000 sequences"),
            (["--streams", "0"], "--streams must be from 1 to 1,024"),
            (["--epochs", "0"], "--epochs must be from 1 to 10,000"),
            (["--force", "--resume"], "exclude each other"),
            (["--config", "configs/hslmu-tiny.json", "--resume"], "exclude each other"),
            (["--profile", "truenorth"], "unknown profile 'truenorth'"),
        })
        {
            var r = CliRunner.Run(["demo", "--out", fresh, .. args]);
            Assert.True(r.ExitCode == Cli.BadInput, $"{string.Join(' ', args)}: {r.ExitCode} {r.Error}");
            Assert.Contains(message, r.Error);
            Assert.False(Directory.Exists(fresh), string.Join(' ', args));
        }
        var notANumber = CliRunner.Run("demo", "--out", fresh, "--samples", "many");
        Assert.Equal(Cli.BadInput, notANumber.ExitCode);
        var badExponent = CliRunner.Run("demo", "--out", fresh, "--exponent", "chip");
        Assert.Equal(Cli.BadInput, badExponent.ExitCode);
        Assert.False(Directory.Exists(fresh));
    }

    [Fact]
    public void An_earlier_demo_is_kept_unless_forced_and_bad_input_with_force_deletes_nothing()
    {
        // An unfinished demo (a checkpoint, no report): refused, pointing to --resume and --force.
        var unfinished = Path.Combine(_dir, "unfinished");
        Directory.CreateDirectory(unfinished);
        File.WriteAllText(Path.Combine(unfinished, "checkpoint.hsckpt"), "saved");
        var r = CliRunner.Run("demo", "--out", unfinished);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("unfinished demo", r.Error);
        Assert.Contains("--resume", r.Error);
        Assert.Equal("saved", File.ReadAllText(Path.Combine(unfinished, "checkpoint.hsckpt")));

        // A finished one with --force but a bad option: the option is refused first, nothing deleted.
        var finished = Path.Combine(_dir, "finished");
        Directory.CreateDirectory(finished);
        File.WriteAllText(Path.Combine(finished, "report.json"), "{}");
        var bad = CliRunner.Run("demo", "--out", finished, "--force", "--samples", "0");
        Assert.Equal(Cli.BadInput, bad.ExitCode);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(finished, "report.json")));

        // --resume with nothing to resume, and --out naming a file.
        var empty = Path.Combine(_dir, "empty");
        var noCheckpoint = CliRunner.Run("demo", "--out", empty, "--resume");
        Assert.Equal(Cli.BadInput, noCheckpoint.ExitCode);
        Assert.Contains("no unfinished demo", noCheckpoint.Error);
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var onFile = CliRunner.Run("demo", "--out", file);
        Assert.Equal(Cli.BadInput, onFile.ExitCode);
        Assert.Contains("is a file", onFile.Error);
    }

    [Fact]
    public void Force_with_a_config_the_data_refuses_keeps_the_earlier_demo()
    {
        var finished = Path.Combine(_dir, "finished-classes");
        Directory.CreateDirectory(finished);
        File.WriteAllText(Path.Combine(finished, "report.json"), "{}");
        var config = Path.Combine(_dir, "three-classes.json");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(RepoRoot(), "configs", "hslmu-tiny.json")).Replace("\"lmu\": {", "\"classes\": 3, \"lmu\": {"));
        var r = CliRunner.Run("demo", "--out", finished, "--force", "--config", config);
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains("model.classes is 3 but the dataset mnist-embedded has 10 classes", r.Error);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(finished, "report.json")));
    }

    private static string RepoRoot() => Trainer.TrainerTestKit.RepoRoot();

    private static Dictionary<string, (long Length, DateTime Written, string Hash)> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f),
            Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));
}
