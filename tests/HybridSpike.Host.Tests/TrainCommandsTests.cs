using System.Text.Json;

namespace HybridSpike.Host.Tests;

public sealed class TrainCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config(string json)
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string Tiny = """
        {
          "name": "cli-tiny",
          "model": { "lmu": { "order": 16, "hidden": 24, "weights": { "hiddenKernel": false },
                              "hiddenQuantizer": { "enabled": true, "omegaStart": 100, "omegaEnd": 4 } } },
          "training": { "epochs": 1, "batchSize": 50, "maxBatchesPerEpoch": 3 },
          "data": { "trainLimit": 150, "testLimit": 100 }
        }
        """;

    [Fact]
    public void Train_writes_checkpoint_history_metrics_and_an_artifact_that_eval_reads()
    {
        var output = Path.Combine(_dir, "run");
        var train = CliRunner.Run("train", "--config", Config(Tiny), "--out", output, "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        using (var doc = JsonDocument.Parse(train.Output))
        {
            Assert.Equal("cli-tiny", doc.RootElement.GetProperty("name").GetString());
            Assert.Single(doc.RootElement.GetProperty("history").EnumerateArray());
        }
        foreach (var f in new[] { "checkpoint.hsckpt", "history.json", "metrics.json", "model.hsa" })
            Assert.True(File.Exists(Path.Combine(output, f)), f);

        var fromCheckpoint = CliRunner.Run("eval", "--model", output, "--limit", "100", "--json");
        var fromArtifact = CliRunner.Run("eval", "--model", Path.Combine(output, "model.hsa"), "--limit", "100", "--json");
        Assert.True(fromCheckpoint.ExitCode == 0, fromCheckpoint.Error);
        Assert.True(fromArtifact.ExitCode == 0, fromArtifact.Error);
        using var a = JsonDocument.Parse(fromCheckpoint.Output);
        using var b = JsonDocument.Parse(fromArtifact.Output);
        Assert.Equal(100, a.RootElement.GetProperty("samples").GetInt32());
        // The golden simulator (float64) and TorchSharp (float32) classify these 100 alike or nearly so.
        Assert.InRange(Math.Abs(a.RootElement.GetProperty("accuracy").GetDouble() - b.RootElement.GetProperty("accuracy").GetDouble()), 0, 0.02);

        // verify: TorchSharp in float64 and the golden simulator on the artifact agree spike for spike.
        var verify = CliRunner.Run("verify", "--model", output, "--limit", "20", "--json");
        Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        using var v = JsonDocument.Parse(verify.Output);
        var hidden = Assert.Single(v.RootElement.GetProperty("populations").EnumerateArray());
        Assert.Equal(20L * 784 * 24, hidden.GetProperty("counts").GetInt64());
        Assert.Equal(0, hidden.GetProperty("float64Differences").GetInt64());
        Assert.Equal(0, v.RootElement.GetProperty("predictionsFloat64Differ").GetInt32());

        // compile: the artifact on Loihi is one core per population; an unknown profile lists the valid ones.
        var compile = CliRunner.Run("compile", "--model", output, "--profile", "loihi", "--samples", "10", "--json");
        Assert.True(compile.ExitCode == 0, compile.Error);
        using var c = JsonDocument.Parse(compile.Output);
        Assert.Equal(3, c.RootElement.GetProperty("cores").GetInt32());
        var effect = c.RootElement.GetProperty("effect");
        Assert.Equal(10, effect.GetProperty("samples").GetInt32());
        Assert.Equal(effect.GetProperty("fixedPointAccuracy").GetDouble() - effect.GetProperty("floatAccuracy").GetDouble(),
            effect.GetProperty("changePoints").GetDouble() / 100, 9);
        Assert.Equal(["memory", "hidden", "output"], c.RootElement.GetProperty("coreTable").EnumerateArray().Select(x => x.GetProperty("population").GetString()));
        // simulate: the actor mesh agrees with the fixed-point golden model on every prediction, and reports traffic.
        var simulate = CliRunner.Run("simulate", "--model", output, "--profile", "loihi", "--samples", "4", "--streams", "2", "--report", Path.Combine(_dir, "sim"), "--json");
        Assert.True(simulate.ExitCode == 0, simulate.Error);
        using var sim = JsonDocument.Parse(simulate.Output);
        Assert.Equal(0, sim.RootElement.GetProperty("predictionsDifferingFromFixedPoint").GetInt32());
        Assert.Equal(sim.RootElement.GetProperty("fixedPointAccuracy").GetDouble(), sim.RootElement.GetProperty("meshAccuracy").GetDouble());
        Assert.True(sim.RootElement.GetProperty("packets").GetInt64() > 0);
        foreach (var f in new[] { "report.json", "cores.csv", "core-steps.csv", "steps.csv", "links.csv", "hops.csv", "link-load.png", "traffic-per-step.png", "spike-raster.png" })
            Assert.True(File.Exists(Path.Combine(_dir, "sim", f)), f);
        Assert.Equal(simulate.Output.Trim(), File.ReadAllText(Path.Combine(_dir, "sim", "report.json")).Trim());

        var unknown = CliRunner.Run("compile", "--model", output, "--profile", "truenorth");
        Assert.Equal(Cli.BadInput, unknown.ExitCode);
        Assert.Contains("loihi, spinnaker, spinnaker2, test", unknown.Error);
    }

    /// <summary>An earlier run's files without its checkpoint (the run was finished and the checkpoint moved away, say).</summary>
    private string EarlierRun()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "earlier")).FullName;
        foreach (var f in new[] { "model.hsa", "metrics.json", "history.json" }) File.WriteAllText(Path.Combine(folder, f), "earlier " + f);
        return folder;
    }

    [Fact]
    public void Train_into_a_folder_holding_an_earlier_runs_files_is_refused_and_changes_nothing()
    {
        var folder = EarlierRun();
        var train = CliRunner.Run("train", "--config", Config(Tiny), "--out", folder);
        Assert.Equal(1, train.ExitCode);
        Assert.Contains("history.json", train.Error);
        Assert.Contains("--force", train.Error);
        Assert.Equal("earlier history.json", File.ReadAllText(Path.Combine(folder, "history.json")));
        Assert.Equal("earlier model.hsa", File.ReadAllText(Path.Combine(folder, "model.hsa")));
    }

    [Fact]
    public void Train_with_force_replaces_an_earlier_runs_files()
    {
        var folder = EarlierRun();
        var train = CliRunner.Run("train", "--config", Config(Tiny), "--out", folder, "--force", "--json");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.NotEqual("earlier history.json", File.ReadAllText(Path.Combine(folder, "history.json")));
        Assert.True(File.Exists(Path.Combine(folder, "checkpoint.hsckpt")));
    }

    [Fact]
    public void Train_with_both_resume_and_force_is_refused()
    {
        var train = CliRunner.Run("train", "--config", Config(Tiny), "--out", EarlierRun(), "--resume", "--force");
        Assert.Equal(1, train.ExitCode);
        Assert.Contains("choose one", train.Error);
    }

    [Fact]
    public async Task SIGTERM_during_training_saves_the_checkpoint_says_so_and_exits_143()
    {
        var folder = Path.Combine(_dir, "terminated");
        var long_ = Tiny.Replace("\"epochs\": 1", "\"epochs\": 100000");
        using var p = CliRunner.StartProcess("train", "--config", Config(long_), "--out", folder, "--json");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            // The first epoch's checkpoint shows the run is training (the signal handler is in place by then).
            var checkpoint = Path.Combine(folder, "checkpoint.hsckpt");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !p.HasExited && waited.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(100);
            Assert.True(File.Exists(checkpoint), "no checkpoint within 90 s: " + (p.HasExited ? await stderr : "still starting"));
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "train did not end within 60 s of SIGTERM");
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
        Assert.Equal(143, p.ExitCode);
        Assert.Contains("SIGTERM: saved", await stderr);
        using var doc = JsonDocument.Parse(await stdout);
        Assert.True(doc.RootElement.GetProperty("interrupted").GetBoolean());
    }

    [Fact]
    public void An_invalid_config_fails_before_training_naming_the_field()
    {
        var r = CliRunner.Run("train", "--config", Config("""{"model":{"lmu":{"theta":0}}}"""), "--out", Path.Combine(_dir, "x"));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("model.lmu.theta", r.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [Fact]
    public void Eval_of_a_file_that_is_neither_checkpoint_nor_artifact_says_so()
    {
        var path = Path.Combine(_dir, "junk.hsa");
        File.WriteAllText(path, "not a model");
        var r = CliRunner.Run("eval", "--model", path);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(path, r.Error);
    }

    /// <summary>A tiny run's config with three classes: the embedded digits have ten.</summary>
    private const string ThreeClasses = """
        { "model": { "classes": 3, "lmu": { "order": 8, "hidden": 8 } },
          "training": { "epochs": 1, "batchSize": 10, "maxBatchesPerEpoch": 1 }, "data": { "trainLimit": 20, "testLimit": 10 } }
        """;

    public static TheoryData<byte[], string> BadConfigs() => new()
    {
        { System.Text.Encoding.UTF8.GetBytes("""{"model":{"lmu":null}}"""), "model.lmu is null" },
        { System.Text.Encoding.UTF8.GetBytes(ThreeClasses), "model.classes is 3 but the dataset mnist-embedded has 10 classes" },
        { System.Text.Encoding.UTF8.GetBytes("""{"model":{"lmu":{"order":1000000}}}"""), "model.lmu.order must be from 1 to 1,024, got 1,000,000" },
        { [.. System.Text.Encoding.UTF8.GetBytes("{\"name\": \""), 0xC3, 0x28, .. System.Text.Encoding.UTF8.GetBytes("\"}")], "is not valid UTF-8 (byte offset 10)" },
        { System.Text.Encoding.UTF8.GetBytes("""{"model":{"lmu":{"order":32,"order":64}}}"""), "duplicate key 'order' in model.lmu" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_config_fails_before_training_with_one_line_naming_the_file_and_the_problem(byte[] config, string problem)
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllBytes(path, config);
        var r = CliRunner.Run("train", "--config", path, "--out", Path.Combine(_dir, "x"));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        var line = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(path, line);
        Assert.Contains(problem, line);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }

    [Fact]
    public void Train_with_force_and_classes_unlike_the_datasets_keeps_the_earlier_runs_files()
    {
        var folder = EarlierRun();
        var r = CliRunner.Run("train", "--config", Config(ThreeClasses), "--out", folder, "--force");
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("model.classes", r.Error);
        Assert.Equal("earlier history.json", File.ReadAllText(Path.Combine(folder, "history.json")));
    }

    [Fact]
    public void An_experiment_with_a_bad_config_among_good_ones_trains_none_of_them()
    {
        var configs = Directory.CreateDirectory(Path.Combine(_dir, "configs")).FullName;
        File.WriteAllText(Path.Combine(configs, "a.json"), Tiny);
        var bad = Path.Combine(configs, "b.json");
        File.WriteAllText(bad, """{"name":"b","name":"c"}""");
        var runs = Path.Combine(_dir, "runs");
        var r = CliRunner.Run("experiment", "--configs", configs, "--out", Path.Combine(_dir, "report"), "--runs", runs);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains($"{bad}: duplicate key 'name' at the top level", r.Error);
        Assert.False(Directory.Exists(runs));
    }
}
