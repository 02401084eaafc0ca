using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Tests;

/// <summary>
/// The same kind of value gets the same answer in every command: each whole-number option's range is defined once
/// (<see cref="Ranges"/>), and a count of test sequences larger than the split is refused once the data is loaded.
/// </summary>
public sealed class OptionRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-ranges-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("simulate", "--samples", "1000000000", "--samples must be from 1 to 100,000, got 1,000,000,000")]
    [InlineData("simulate", "--streams", "1000000000", "--streams must be from 1 to 1,024, got 1,000,000,000")]
    [InlineData("simulate", "--streams", "-5", "--streams must be from 1 to 1,024, got -5")]
    [InlineData("simulate", "--chunk", "0", "--chunk must be from 1 to 1,000,000, got 0")]
    [InlineData("compile", "--samples", "-3", "--samples must be 0 (skip) or from 1 to 100,000, got -3")]
    [InlineData("eval", "--limit", "-1", "--limit must be 0 (all) or from 1 to 100,000, got -1")]
    [InlineData("verify", "--limit", "200000", "--limit must be 0 (all) or from 1 to 100,000, got 200,000")]
    public void A_value_outside_its_range_is_refused_by_name_before_anything_is_read(string command, string option, string value, string message)
    {
        // The model does not exist: the range is checked before it is looked for.
        var r = CliRunner.Run(command, "--model", Path.Combine(_dir, "absent"), option, value);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    [Theory]
    [InlineData("--join-timeout", "0", "--join-timeout must be from 1 to 3,600, got 0")]
    [InlineData("--join-timeout", "-5", "--join-timeout must be from 1 to 3,600, got -5")]
    [InlineData("--nodes", "1000", "--nodes must be from 1 to 256, got 1,000")]
    public void Cluster_options_outside_their_range_are_refused_by_name(string option, string value, string message)
    {
        var r = CliRunner.Run("simulate", "--model", Path.Combine(_dir, "absent"), "--cluster", "cluster-config/local.hocon", option, value);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    [Theory]
    [InlineData("simulate", "--samples")]
    [InlineData("compile", "--samples")]
    [InlineData("eval", "--limit")]
    public void More_test_sequences_than_the_split_holds_are_refused_not_cut_to_it(string command, string option)
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        var r = CliRunner.Run(command, "--model", model, option, "2001");
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains($"{option} 2,001: the test split of mnist-embedded has only 2,000 sequences", r.Error);
    }

    [Theory]
    [InlineData("serve", "--urls")]
    [InlineData("stream", "--url")]
    [InlineData("deploy", "--url")]
    [InlineData("train", "--deploy")]
    public void A_service_address_that_is_not_http_is_refused_by_name(string command, string option)
    {
        string[] needed = command switch
        {
            "serve" or "deploy" => ["--model", Path.Combine(_dir, "absent")],
            "train" => ["--out", Path.Combine(_dir, "out")],
            _ => [],
        };
        var r = CliRunner.Run([command, .. needed, option, "ftp://127.0.0.1:21"]);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains($"{option} 'ftp://127.0.0.1:21' is not an http:// address", r.Error);
    }

    [Fact]
    public void A_range_says_what_zero_means_where_zero_is_accepted()
    {
        Assert.Equal(0, Ranges.TestSequences.OrZero("all").Check(0, "--limit"));
        Assert.Equal(100_000, Ranges.TestSequences.Check(100_000, "--samples"));
        Assert.Null(Ranges.Epochs.Check((int?)null, "--epochs"));
        Assert.Contains("--samples must be from 1 to 100,000, got 0", Assert.Throws<ArgumentException>(() => Ranges.TestSequences.Check(0, "--samples")).Message);
    }
}

/// <summary>Parse errors are bad input like any other: "error:" lines on stderr, exit 1, nothing on stdout.</summary>
public sealed class ParseErrorTests
{
    [Theory]
    [InlineData(new[] { "simulate", "--model", "m", "--samples", "many", "--json" }, "error: Cannot parse argument 'many' for option '--samples'", "'hybridspike simulate --help'")]
    [InlineData(new[] { "frobnicate" }, "error: Unrecognized command or argument 'frobnicate'", "'hybridspike --help'")]
    [InlineData(new[] { "data", "info", "--bogus" }, "error: Unrecognized command or argument '--bogus'", "'hybridspike data info --help'")]
    public void A_parse_error_is_an_error_line_on_stderr_with_where_to_find_the_options(string[] args, string message, string help)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains(message, r.Error);
        Assert.Contains(help, r.Error);
        Assert.Equal("", r.Output);
    }
}
