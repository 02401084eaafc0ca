namespace HybridSpike.Host.Tests;

public sealed class ExperimentCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-exp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_experiment_trains_each_config_and_writes_the_report_with_plots_and_claims()
    {
        var configs = Directory.CreateDirectory(Path.Combine(_dir, "configs")).FullName;
        const string common = """
            "training": { "epochs": 2, "batchSize": 50, "maxBatchesPerEpoch": 2 },
            "data": { "trainLimit": 100, "testLimit": 50 }
            """;
        File.WriteAllText(Path.Combine(configs, "lmu-parallel.json"), $$"""{ "name": "lmu-parallel", "model": { "lmu": { "order": 8, "hidden": 12, "weights": { "hiddenKernel": false } } }, {{common}} }""");
        File.WriteAllText(Path.Combine(configs, "hslmu-parallel.json"), $$"""{ "name": "hslmu-parallel", "model": { "lmu": { "order": 8, "hidden": 12, "weights": { "hiddenKernel": false }, "hiddenQuantizer": { "enabled": true, "omegaStart": 100, "omegaEnd": 3 } } }, {{common}} }""");
        File.WriteAllText(Path.Combine(configs, "gru.json"), $$"""{ "name": "gru", "model": { "kind": "gru", "rnn": { "hidden": 8 } }, {{common}} }""");
        var report = Path.Combine(_dir, "report");
        var r = CliRunner.Run("experiment", "--configs", configs, "--out", report, "--runs", Path.Combine(_dir, "runs"), "--name", "tiny");
        Assert.True(r.ExitCode == 0, r.Error);
        var md = File.ReadAllText(Path.Combine(report, "tiny.md"));
        Assert.Contains("| hslmu-parallel |", md);
        Assert.Contains("| gru |", md);
        Assert.Contains("hslmu-parallel within 1 point of the non-spiking lmu-parallel", md);
        Assert.Contains("activity bits ≤ 3.74", md);
        foreach (var png in new[] { "tiny-learning-curves.png", "tiny-accuracy-vs-omega.png", "tiny-spike-counts.png" })
            Assert.True(new FileInfo(Path.Combine(report, png)).Length > 5_000, png);

        // A second run finds every model done and only rewrites the report.
        var again = CliRunner.Run("experiment", "--configs", configs, "--out", report, "--runs", Path.Combine(_dir, "runs"), "--name", "tiny");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("already done", again.Error);
    }

    private string Configs(params (string File, string Name)[] configs)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "configs-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        foreach (var (file, name) in configs)
            File.WriteAllText(Path.Combine(folder, file), $$"""{ "name": "{{name}}", "model": { "lmu": { "order": 8, "hidden": 12 } }, "training": { "epochs": 1, "maxBatchesPerEpoch": 1 }, "data": { "trainLimit": 50, "testLimit": 50 } }""");
        return folder;
    }

    [Fact]
    public void Two_configs_with_one_name_are_refused_before_training_naming_both_files()
    {
        var runs = Path.Combine(_dir, "runs");
        var r = CliRunner.Run("experiment", "--configs", Configs(("a.json", "same"), ("b.json", "same")), "--out", Path.Combine(_dir, "report"), "--runs", runs);
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains("a.json and ", r.Error);
        Assert.Contains("both are named 'same'", r.Error);
        Assert.False(Directory.Exists(runs));
    }

    [Fact]
    public void A_finished_runs_result_that_cannot_be_read_is_an_error_naming_it()
    {
        var runs = Path.Combine(_dir, "runs");
        var result = Path.Combine(Directory.CreateDirectory(Path.Combine(runs, "damaged")).FullName, "run.json");
        File.WriteAllText(result, "{ not json");
        var r = CliRunner.Run("experiment", "--configs", Configs(("d.json", "damaged")), "--out", Path.Combine(_dir, "report"), "--runs", runs);
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains($"{result}: a finished run's result that cannot be read", r.Error);
        Assert.Equal("{ not json", File.ReadAllText(result));
    }
}
