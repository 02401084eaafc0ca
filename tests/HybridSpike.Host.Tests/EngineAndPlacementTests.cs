using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Host.Tests;

/// <summary><c>eval --engine</c> and <c>--placement</c> on a small artifact written without training.</summary>
public sealed class EngineAndPlacementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-engine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Artifact() => TestArtifacts.SmallPsMnist(_dir);

    [Fact]
    public void Eval_of_an_artifact_says_its_engine_and_compares_the_fixed_point_model_with_float64()
    {
        var model = Artifact();
        var text = CliRunner.Run("eval", "--model", model, "--limit", "20");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.StartsWith("engine: golden (the float64 golden model of the artifact, chosen by --model", text.Output);
        Assert.Matches(@"fixed point \(loihi, row exponents\): \d+\.\d\d ?% \(\d+ of 20 predictions differ from float64\)", text.Output);

        // The directory holding model.hsa, with --engine golden and another profile: the same float64 result.
        var json = CliRunner.Run("eval", "--model", _dir, "--engine", "golden", "--profile", "test", "--exponent", "core", "--limit", "20", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Output);
        var root = doc.RootElement;
        Assert.Equal("golden", root.GetProperty("engine").GetString());
        Assert.Equal(20, root.GetProperty("samples").GetInt32());
        var fixedPoint = root.GetProperty("fixedPoint");
        Assert.Equal("test", fixedPoint.GetProperty("profile").GetString());
        Assert.Equal("core", fixedPoint.GetProperty("exponent").GetString());
        Assert.Equal(20, fixedPoint.GetProperty("samples").GetInt32());
        Assert.InRange(fixedPoint.GetProperty("predictionsDifferingFromFloat64").GetInt32(), 0, 20);
        Assert.InRange(fixedPoint.GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Eval_refuses_an_engine_that_does_not_fit_the_model_naming_both()
    {
        var model = Artifact();
        var torch = CliRunner.Run("eval", "--model", model, "--engine", "torch");
        Assert.Equal(Cli.BadInput, torch.ExitCode);
        Assert.Contains("--engine torch", torch.Error);
        Assert.Contains($"--model {model}", torch.Error);
        Assert.Contains("use --engine golden", torch.Error);

        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var golden = CliRunner.Run("eval", "--model", empty, "--engine", "golden");
        Assert.Equal(Cli.BadInput, golden.ExitCode);
        Assert.Contains("--engine golden", golden.Error);
        Assert.Contains(Path.Combine(empty, "model.hsa"), golden.Error);

        var profile = CliRunner.Run("eval", "--model", model, "--engine", "torch", "--profile", "test");
        Assert.Equal(Cli.BadInput, profile.ExitCode);
        Assert.Contains("--profile applies to --engine golden", profile.Error);
    }

    [Fact]
    public void Random_placement_moves_the_cores_and_keeps_the_spikes()
    {
        var model = Artifact();
        string[] common = ["--model", model, "--profile", "test", "--json"];
        var sequential = CliRunner.Run(["compile", .. common]);
        var random = CliRunner.Run(["compile", .. common, "--placement", "random:3"]);
        Assert.True(sequential.ExitCode == 0 && random.ExitCode == 0, sequential.Error + random.Error);
        using (var a = JsonDocument.Parse(sequential.Output))
        using (var b = JsonDocument.Parse(random.Output))
        {
            Assert.Equal("sequential", a.RootElement.GetProperty("placement").GetString());
            Assert.Equal("random(3)", b.RootElement.GetProperty("placement").GetString());
        }

        string[] run = ["simulate", .. common, "--samples", "4", "--streams", "2"];
        var here = CliRunner.Run(run);
        var scattered = CliRunner.Run([.. run, "--placement", "random:3"]);
        Assert.True(here.ExitCode == 0 && scattered.ExitCode == 0, here.Error + scattered.Error);
        using var x = JsonDocument.Parse(here.Output);
        using var y = JsonDocument.Parse(scattered.Output);
        Assert.False(x.RootElement.TryGetProperty("placement", out _));
        Assert.Equal("random(3)", y.RootElement.GetProperty("placement").GetString());
        foreach (var field in new[] { "meshAccuracy", "fixedPointAccuracy", "spikes", "fixedPointSpikes", "predictionsDifferingFromFixedPoint" })
            Assert.Equal(x.RootElement.GetProperty(field).GetRawText(), y.RootElement.GetProperty(field).GetRawText());

        var bad = CliRunner.Run([.. run, "--placement", "random:-1"]);
        Assert.Equal(Cli.BadInput, bad.ExitCode);
        Assert.Contains("--placement random:-1", bad.Error);
    }

    [Theory]
    [InlineData(1.0, double.MaxValue, "population 'out'")]                                // the output sums overflow float64
    [InlineData(1.0, 1e300, "the model overflows as it runs: population 'out'")]         // float64 holds them; 64-bit fixed point cannot
    [InlineData(1e300, 1.0, "the model overflows as it runs: population 'hidden'")]      // a recurrence no validation can bound
    public void Weights_that_overflow_as_the_model_runs_are_an_error_naming_where_not_an_accuracy(double recurrentWeights, double outputWeights, string where)
    {
        var model = TestArtifacts.PsMnist(_dir, 20, recurrentWeights, outputWeights);
        var r = CliRunner.Run("eval", "--model", model, "--engine", "golden", "--limit", "20");
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains(where, r.Error);
        Assert.Equal("", r.Output);
    }

    [Fact]
    public void Simulate_of_a_recurrence_that_overflows_is_an_error_naming_the_population()
    {
        var r = CliRunner.Run("simulate", "--model", TestArtifacts.PsMnist(_dir, 20, 1e300, 1.0), "--samples", "5");
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains("population 'hidden'", r.Error);
    }
}
