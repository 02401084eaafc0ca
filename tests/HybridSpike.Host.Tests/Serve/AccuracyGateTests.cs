using System.Net;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>The deployment gate: a model much worse than the serving one on the check set is refused, and the serving one stays.</summary>
public sealed class AccuracyGateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-gate-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_model_below_the_serving_ones_accuracy_by_more_than_the_gate_is_refused()
    {
        // The serving model: a tiny hsLMU trained a little (well above chance); the new one: random weights (chance).
        var config = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(config, """
            { "name": "gated", "model": { "lmu": { "order": 32, "theta": 784, "hidden": 32, "weights": { "hiddenKernel": false } } },
              "training": { "epochs": 1, "batchSize": 50, "learningRate": 0.003, "maxBatchesPerEpoch": 60 }, "data": { "trainLimit": 3000, "testLimit": 200 } }
            """);
        var trained = Path.Combine(_dir, "trained");
        var train = CliRunner.Run("train", "--config", config, "--out", trained);
        Assert.True(train.ExitCode == 0, train.Error);
        var serving = ArtifactFile.ReadWithDigest(Path.Combine(trained, "model.hsa")).Digest;

        await using var app = await ServeApp.StartAsync(new ServeOptions(trained, new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()),
            "http://127.0.0.1:0", 2, TimeSpan.FromSeconds(60), null) { Gate = new AccuracyGate(200, 1.0) }, TextWriter.Null, CancellationToken.None);
        using var client = new StreamClient(new Uri(app.Addresses[0]));
        var random = await File.ReadAllBytesAsync(TestArtifacts.SmallPsMnist(_dir));
        var e = await Assert.ThrowsAsync<StreamServiceException>(() => client.DeployAsync(random, CancellationToken.None));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains("accuracy on the check set (200 test sequences)", e.Message);
        Assert.Contains("(the gate allows 1); nothing changed", e.Message);
        Assert.Equal(serving, (await client.ModelsAsync(CancellationToken.None))[0].Digest);
    }

    [Fact]
    public void The_gate_options_are_checked()
    {
        var c = new ServeCommand();
        Assert.Contains("--gate-points needs --gate-samples", Assert.Throws<ArgumentException>(() => c.Parse(c.Command.Parse(["--model", "m", "--gate-points", "2"]))).Message);
        Assert.Contains("--gate-points must be from 0 to 100", Assert.Throws<ArgumentException>(() => c.Parse(c.Command.Parse(["--model", "m", "--gate-samples", "10", "--gate-points", "-1"]))).Message);
        Assert.Equal(new AccuracyGate(10, 2), c.Parse(c.Command.Parse(["--model", "m", "--gate-samples", "10", "--gate-points", "2"])).Gate);
    }
}
