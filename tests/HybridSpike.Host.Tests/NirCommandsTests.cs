using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using PureHDF;

namespace HybridSpike.Host.Tests;

/// <summary><c>hybridspike nir export|import</c>, run in-process.</summary>
public sealed class NirCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-nir-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An artifact NIR can carry with the opt-in: a linear memory with a one-step recurrence into a quantized linear readout.</summary>
    private string LinearArtifact()
    {
        var g = new SplitMix64(9);
        var net = new NetworkDescription(
            [new Population("memory", 3, Activation.Linear, null, [], InitialStateMode.Zeros, 0),
             new Population("readout", 4, Activation.Linear, 5, [.. Enumerable.Range(0, 4).Select(_ => g.NextDouble() - 0.5)], InitialStateMode.Uniform, 3)],
            [new Connection("input", "memory", new DenseWeights(Matrix.Create(3, 1, (_, _) => g.NextDouble())), Delay.SameStep),
             new Connection("memory", "memory", new DenseWeights(Matrix.Create(3, 3, (_, _) => 0.3 * (g.NextDouble() - 0.5))), Delay.OneStep),
             new Connection("memory", "readout", new DenseWeights(Matrix.Create(4, 3, (_, _) => 2 * g.NextDouble() - 1)), Delay.SameStep)],
            new InputMapping(1, "one channel"), new OutputMapping("readout", OutputMapping.LastStep));
        var provenance = new Provenance("test", "{}", "mnist-embedded", ImmutableDictionary<string, ulong>.Empty, 0, Provenance.UtcTimestamp(DateTimeOffset.UnixEpoch), "test", "");
        var path = Path.Combine(_dir, "linear.hsa");
        ArtifactFile.Write(path, ModelArtifact.Create(net, provenance));
        return path;
    }

    private string In(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Export_then_import_gives_an_artifact_that_runs_to_the_same_outputs()
    {
        var model = LinearArtifact();
        Assert.Equal(0, CliRunner.Run("nir", "export", model, "--out", In("m.nir"), "--subtractive-reset", "extension").ExitCode);
        Assert.Equal(0, CliRunner.Run("nir", "import", In("m.nir"), "--out", In("back.hsa")).ExitCode);
        var g = new SplitMix64(4);
        var inputs = Enumerable.Range(0, 5 * 30).Select(_ => g.NextDouble()).ToArray();
        var expected = GoldenSimulator.Create(ArtifactFile.Read(model)).Run(inputs, 5, 30);
        var actual = GoldenSimulator.Create(ArtifactFile.Read(In("back.hsa"))).Run(inputs, 5, 30);
        Assert.Equal(expected.Outputs, actual.Outputs);
    }

    [Fact]
    public void Export_of_a_quantized_population_without_the_opt_in_fails_naming_it()
    {
        var r = CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.StartsWith("error: cannot export to NIR: population 'readout': it is a Sigma-Delta quantizer", r.Error);
    }

    [Fact]
    public void A_refused_export_writes_no_file()
    {
        CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"));
        Assert.False(File.Exists(In("m.nir")));
    }

    [Fact]
    public void An_existing_out_is_refused_without_force_and_left_as_it_was()
    {
        File.WriteAllText(In("m.nir"), "kept");
        var r = CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"), "--subtractive-reset", "extension");
        Assert.Equal((Cli.BadInput, "kept"), (r.ExitCode, File.ReadAllText(In("m.nir"))));
    }

    [Fact]
    public void Force_replaces_an_existing_out()
    {
        File.WriteAllText(In("m.nir"), "replaced");
        var r = CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"), "--subtractive-reset", "extension", "--force");
        Assert.Equal(0, r.ExitCode);
        Assert.NotEqual("replaced", File.ReadAllText(In("m.nir")));
    }

    [Fact]
    public void Export_json_reports_the_extension_and_warns_what_other_tools_read()
    {
        var r = CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"), "--subtractive-reset", "extension", "--json");
        using var json = JsonDocument.Parse(r.Output);
        Assert.Equal("extension", json.RootElement.GetProperty("subtractiveReset").GetString());
        Assert.Contains("'readout' written as IF nodes", json.RootElement.GetProperty("warnings")[0].GetString());
    }

    [Fact]
    public void Import_json_reports_the_populations_read()
    {
        CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"), "--subtractive-reset", "extension");
        var r = CliRunner.Run("nir", "import", In("m.nir"), "--out", In("back.hsa"), "--json");
        using var json = JsonDocument.Parse(r.Output);
        Assert.Equal(["memory", "readout"], json.RootElement.GetProperty("populations").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public void The_imported_artifact_names_its_NIR_file_in_its_provenance()
    {
        CliRunner.Run("nir", "export", LinearArtifact(), "--out", In("m.nir"), "--subtractive-reset", "extension");
        CliRunner.Run("nir", "import", In("m.nir"), "--out", In("back.hsa"));
        Assert.StartsWith($"imported from NIR file '{In("m.nir")}'", ArtifactFile.Read(In("back.hsa")).Provenance.Notes);
    }

    [Fact]
    public void Import_of_an_unsupported_primitive_fails_naming_the_node_and_writes_nothing()
    {
        var nodes = new H5Group
        {
            ["input"] = new H5Group { ["type"] = "Input", ["shape"] = new long[] { 2 } },
            ["lif"] = new H5Group { ["type"] = "LIF", ["tau"] = new[] { 1.0, 1.0 }, ["r"] = new[] { 1.0, 1.0 }, ["v_leak"] = new[] { 0.0, 0.0 }, ["v_threshold"] = new[] { 1.0, 1.0 } },
            ["output"] = new H5Group { ["type"] = "Output", ["shape"] = new long[] { 2 } },
        };
        new H5File { ["version"] = "1.0.7", ["node"] = new H5Group { ["type"] = "NIRGraph", ["nodes"] = nodes, ["edges"] = new[,] { { "input", "lif" }, { "lif", "output" } } } }.Write(In("lif.nir"));
        var r = CliRunner.Run("nir", "import", In("lif.nir"), "--out", In("lif.hsa"));
        Assert.Equal((Cli.BadInput, false), (r.ExitCode, File.Exists(In("lif.hsa"))));
        Assert.StartsWith("error: cannot import the NIR graph: node 'lif' (LIF): a leaky integrate-and-fire neuron", r.Error);
    }

    [Fact]
    public void Import_of_a_file_that_is_not_NIR_fails_naming_it()
    {
        File.WriteAllText(In("notes.nir"), "not HDF5 at all, only some text that is long enough for a superblock");
        var r = CliRunner.Run("nir", "import", In("notes.nir"), "--out", In("x.hsa"));
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.StartsWith($"error: {In("notes.nir")}: not an HDF5 file", r.Error);
    }
}
