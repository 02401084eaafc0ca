using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Host.Tests;

/// <summary><c>simulate</c> as a client of one resident mesh: each sequence a stream, its input pushed in chunks of <c>--chunk</c> steps.</summary>
public sealed class SimulateStreamsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-simulate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Artifact() => TestArtifacts.SmallPsMnist(_dir);

    private const int Samples = 5;

    private static JsonDocument Simulate(string model, params string[] extra)
    {
        // Two slots for five sequences: the later ones start as earlier ones close, at other steps than those still open.
        var run = CliRunner.Run(["simulate", "--model", model, "--profile", "test", "--samples", $"{Samples}", "--streams", "2", "--json", .. extra]);
        Assert.True(run.ExitCode == 0, run.Error);
        return JsonDocument.Parse(run.Output);
    }

    [Fact]
    public void Chunks_of_one_seven_or_a_hundred_steps_give_the_whole_pushes_predictions_spikes_and_traffic_and_every_sample_is_listed()
    {
        var model = Artifact();
        using var whole = Simulate(model);
        var w = whole.RootElement;

        // One entry per sample, in test-split order, with its label; the mesh agrees with the fixed-point model on each.
        var seq = SequenceData.Load(new DataConfig { TestLimit = Samples });
        var labels = seq.Doubles(seq.Test, [.. Enumerable.Range(0, Samples)]).Labels;
        var perSample = w.GetProperty("perSample").EnumerateArray().ToArray();
        Assert.Equal(Samples, perSample.Length);
        Assert.Equal(Enumerable.Range(0, Samples), perSample.Select(s => s.GetProperty("index").GetInt32()));
        Assert.Equal(labels, perSample.Select(s => s.GetProperty("label").GetInt64()));
        Assert.All(perSample, s => Assert.Equal(s.GetProperty("fixedPoint").GetInt32(), s.GetProperty("mesh").GetInt32()));
        Assert.All(perSample, s => Assert.InRange(s.GetProperty("float").GetInt32(), 0, 9));
        Assert.Equal(w.GetProperty("meshAccuracy").GetDouble(), perSample.Count(s => s.GetProperty("mesh").GetInt64() == s.GetProperty("label").GetInt64()) / (double)Samples);
        Assert.Equal(w.GetProperty("fixedPointSpikes").GetInt64(), perSample.Sum(s => s.GetProperty("fixedPointSpikes").GetInt64()));
        Assert.Equal(w.GetProperty("fixedPointSpikes").GetInt64(), w.GetProperty("spikes").GetInt64());
        Assert.All(perSample, s => Assert.True(s.GetProperty("fixedPointSpikes").GetInt64() > 0));

        foreach (var chunk in new[] { "1", "7", "100" })
        {
            using var chunked = Simulate(model, "--chunk", chunk);
            var c = chunked.RootElement;
            Assert.Equal(w.GetProperty("perSample").GetRawText(), c.GetProperty("perSample").GetRawText());
            foreach (var field in new[] { "meshAccuracy", "fixedPointAccuracy", "floatAccuracy", "predictionsDifferingFromFixedPoint", "fixedPointSpikes",
                "spikes", "packets", "synapticEvents", "neuronUpdates", "energyPerInferenceJoules", "secondsPerStep", "hopHistogram", "coreTable" })
                Assert.True(w.GetProperty(field).GetRawText() == c.GetProperty(field).GetRawText(), $"--chunk {chunk}: {field} differs");
        }
    }

    [Fact]
    public void A_chunk_of_no_steps_is_refused_naming_the_option()
    {
        var run = CliRunner.Run("simulate", "--model", Path.Combine(_dir, "absent.hsa"), "--chunk", "0");
        Assert.Equal(Cli.BadInput, run.ExitCode);
        Assert.Contains("--chunk", run.Error);
        Assert.Equal("", run.Output);
    }
}
