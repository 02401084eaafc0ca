namespace HybridSpike.Host.Tests;

/// <summary>
/// Every output folder is checked before the work starts, so that a finished run's results are never lost to a bad
/// path: a file in the folder's place, a file above it, or a place where nothing can be written.
/// </summary>
public sealed class OutputPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-outputs-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public enum Place { AFile, UnderAFile, Unwritable }

    private string PathAt(Place place)
    {
        var file = Path.Combine(_dir, "taken");
        File.WriteAllText(file, "a file the user keeps");
        return place switch
        {
            Place.AFile => file,
            Place.UnderAFile => Path.Combine(file, "report"),
            // Not even root can make a folder in /proc: the test runs as root in CI, where permissions do not stop it.
            _ => "/proc/hybridspike-report",
        };
    }

    /// <summary>A config of defaults only: the run is refused before it would train.</summary>
    private string EmptyConfig()
    {
        var config = Path.Combine(_dir, "defaults.json");
        File.WriteAllText(config, "{}");
        return config;
    }

    private string[] Command(string command, string option, string path) => command switch
    {
        "simulate" => ["simulate", "--model", TestArtifacts.SmallPsMnist(_dir), "--samples", "5", option, path],
        "train" => ["train", "--config", EmptyConfig(), option, path],
        "demo" => ["demo", option, path],
        _ => ["experiment", "--configs", "configs/psmnist", option, path],
    };

    [Theory]
    [InlineData("simulate", "--report", Place.AFile, "is a file, not a folder")]
    [InlineData("simulate", "--report", Place.UnderAFile, "is a file, so the folder cannot be made")]
    [InlineData("simulate", "--report", Place.Unwritable, "nothing can be written in /proc")]
    [InlineData("train", "--out", Place.AFile, "is a file, not a folder")]
    [InlineData("train", "--out", Place.Unwritable, "nothing can be written in /proc")]
    [InlineData("demo", "--out", Place.UnderAFile, "is a file, so the folder cannot be made")]
    [InlineData("experiment", "--out", Place.AFile, "is a file, not a folder")]
    [InlineData("experiment", "--runs", Place.Unwritable, "nothing can be written in /proc")]
    public void An_output_folder_that_cannot_be_written_is_refused_before_the_work(string command, string option, Place place, string message)
    {
        var path = PathAt(place);
        var r = CliRunner.Run(Command(command, option, path));
        Assert.True(r.ExitCode == Cli.BadInput, r.Error);
        Assert.Contains($"{option} {path}", r.Error);
        Assert.Contains(message, r.Error);
        Assert.Equal("", r.Output);
        Assert.Equal("a file the user keeps", File.ReadAllText(Path.Combine(_dir, "taken")));
    }
}
