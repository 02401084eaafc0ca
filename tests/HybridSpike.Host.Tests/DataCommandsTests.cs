using System.Text.Json;

namespace HybridSpike.Host.Tests;

public class DataCommandsTests
{
    [Fact]
    public void Data_info_json_prints_the_embedded_split()
    {
        var r = CliRunner.Run("data", "info", "--dataset", "mnist-embedded", "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Error);
        using var doc = JsonDocument.Parse(r.Output);
        var root = doc.RootElement;
        Assert.Equal("mnist-embedded", root.GetProperty("dataset").GetString());
        Assert.Equal(1234UL, root.GetProperty("permutationSeed").GetUInt64());
        Assert.Equal(784, root.GetProperty("sequenceLength").GetInt32());
        var splits = root.GetProperty("splits").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("count").GetInt32());
        Assert.Equal(8000, splits["train"]);
        Assert.Equal(2000, splits["test"]);
    }

    [Fact]
    public void Data_info_prints_a_readable_table_by_default()
    {
        var r = CliRunner.Run("data", "info");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("permutation seed 1234", r.Output);
        Assert.Matches(@"train\s+8000", r.Output);
    }

    [Fact]
    public void An_unknown_dataset_fails_on_stderr_listing_the_valid_ones()
    {
        var r = CliRunner.Run("data", "info", "--dataset", "cifar");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("mnist-embedded", r.Error);
    }

    [Fact]
    public void A_bad_data_directory_fails_on_stderr_with_a_non_zero_code()
    {
        var r = CliRunner.Run("data", "info", "--dataset", "mnist", "--data-dir", "/nonexistent/mnist");
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("/nonexistent/mnist", r.Error);
        Assert.Equal("", r.Output);
    }

    [Fact]
    public void The_real_executable_prints_its_version_and_sends_errors_to_stderr()
    {
        var ok = CliRunner.RunProcess("--version");
        Assert.Equal(0, ok.ExitCode);
        Assert.StartsWith("0.1.0", ok.Output);

        var bad = CliRunner.RunProcess("data", "info", "--dataset", "mnist", "--data-dir", "/nonexistent/mnist");
        Assert.Equal(Cli.BadInput, bad.ExitCode);
        Assert.StartsWith("error: ", bad.Error);
        Assert.Equal("", bad.Output);
    }
}
