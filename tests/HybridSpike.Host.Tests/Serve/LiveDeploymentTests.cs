using System.Net;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// Live deployment onto a running service: new streams get the new version, open streams finish on the version they
/// started with (each equal to its own model offline), the older mesh stops once idle, a rollback returns to it, and a
/// bad artifact is a 4xx that leaves the serving model as it was.
/// </summary>
public sealed class LiveDeploymentTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-deploy-").FullName;
    private ServeApp? _app;
    private StreamClient? _client;

    public async Task InitializeAsync()
    {
        var first = TestArtifacts.SmallPsMnist(Directory.CreateDirectory(Path.Combine(_dir, "v1")).FullName);
        _app = await ServeTestKit.StartAsync(first, 4, 60, null, TextWriter.Null);
        _client = new StreamClient(new Uri(_app.Addresses[0]));
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string First => Path.Combine(_dir, "v1", "model.hsa");

    /// <summary>A second model: the same widths, other output weights.</summary>
    private string Second() => TestArtifacts.PsMnist(Directory.CreateDirectory(Path.Combine(_dir, "v2")).FullName, 20, 1.0, 0.5);

    private static (double[] Input, double[] Expected) Offline(string model)
    {
        var (inputs, expected) = ServeTestKit.Offline(model, 1);
        return (inputs[0], expected[0]);
    }

    private static async Task<double[]> Finish(ServiceStream s, ReadOnlyMemory<double> rest)
    {
        var reading = Collect(s);
        await s.PushAsync(rest, CancellationToken.None);
        await s.CompleteAsync(CancellationToken.None);
        return await reading;
    }

    private static async Task<double[]> Collect(ServiceStream s)
    {
        double[]? outputs = null;
        await foreach (var f in s.ReadAllAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
            if (f.Type == "output") outputs = f.Outputs;
        return outputs ?? throw new InvalidOperationException("no output");
    }

    [Fact]
    public async Task A_deployment_under_an_open_stream_drops_nothing_and_each_stream_keeps_its_version()
    {
        var (input, expected1) = Offline(First);
        var second = Second();
        var (_, expected2) = Offline(second);
        Assert.NotEqual(expected1, expected2);

        var old = await _client!.OpenAsync(new OpenStreamRequest([783], "wait", null), CancellationToken.None);
        var oldReading = Collect(old);
        await old.PushAsync(input.AsMemory(0, 300), CancellationToken.None);

        var deployed = await _client.DeployAsync(await File.ReadAllBytesAsync(second), CancellationToken.None);
        Assert.Equal(ArtifactFile.ReadWithDigest(second).Digest, deployed.Digest);
        Assert.Equal("serving", deployed.State);

        var fresh = await _client.OpenAsync(new OpenStreamRequest([783], "wait", null), CancellationToken.None);
        Assert.Equal(deployed.Version, fresh.Info.Version);
        Assert.NotEqual(deployed.Version, old.Info.Version);
        var freshOutputs = await Finish(fresh, input);

        await old.PushAsync(input.AsMemory(300), CancellationToken.None);
        await old.CompleteAsync(CancellationToken.None);
        Assert.Equal(expected1, await oldReading);
        Assert.Equal(expected2, freshOutputs);

        // The older mesh stops once its last stream has closed.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<ModelVersionInfo> versions;
        do
        {
            await Task.Delay(100);
            versions = await _client.ModelsAsync(CancellationToken.None);
        } while (versions[1].State != "stopped" && waited.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal(["serving", "stopped"], versions.Select(v => v.State));
        Assert.Equal(old.Info.Version, versions[1].Version);
    }

    [Fact]
    public async Task A_rollback_returns_new_streams_to_the_previous_version()
    {
        var v1 = (await _client!.ModelsAsync(CancellationToken.None))[0];
        await _client.DeployAsync(await File.ReadAllBytesAsync(Second()), CancellationToken.None);
        var back = await _client.RollbackAsync(v1.Name, CancellationToken.None);
        Assert.Equal(v1.Digest, back.Digest);
        var (input, expected1) = Offline(First);
        var s = await _client.OpenAsync(new OpenStreamRequest([783], "wait", null), CancellationToken.None);
        Assert.Equal(v1.Version, s.Info.Version);
        Assert.Equal(expected1, await Finish(s, input));
    }

    [Theory]
    [InlineData("garbage", HttpStatusCode.BadRequest, "the uploaded artifact")]
    [InlineData("flipped", HttpStatusCode.BadRequest, "the digest does not match")]
    [InlineData("cut", HttpStatusCode.BadRequest, "the uploaded artifact")]
    public async Task A_bad_artifact_is_a_4xx_and_the_serving_model_stays(string how, HttpStatusCode status, string message)
    {
        var before = await _client!.ModelsAsync(CancellationToken.None);
        var bytes = await File.ReadAllBytesAsync(Second());
        byte[] sent = how switch
        {
            "garbage" => "not an artifact"u8.ToArray(),
            "flipped" => Flip(bytes, bytes.Length / 2),
            _ => bytes[..(bytes.Length / 2)],
        };
        var e = await Assert.ThrowsAsync<StreamServiceException>(() => _client.DeployAsync(sent, CancellationToken.None));
        Assert.Equal(status, e.Status);
        Assert.Contains(message, e.Message);
        Assert.Equal(before, await _client.ModelsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_same_artifact_again_changes_nothing()
    {
        var before = await _client!.ModelsAsync(CancellationToken.None);
        var again = await _client.DeployAsync(await File.ReadAllBytesAsync(First), CancellationToken.None);
        Assert.Equal(before[0], again);
        Assert.Single(await _client.ModelsAsync(CancellationToken.None));
    }

    [Fact]
    public void The_deploy_command_says_what_now_serves()
    {
        var r = CliRunner.Run("deploy", "--model", Second(), "--url", _app!.Addresses[0], "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(ArtifactFile.ReadWithDigest(Path.Combine(_dir, "v2", "model.hsa")).Digest, r.Output);
    }

    [Fact]
    public async Task Train_with_deploy_sends_its_artifact_to_the_service_at_the_end()
    {
        var config = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(config, """
            { "name": "deployed-tiny",
              "model": { "lmu": { "order": 8, "hidden": 12, "weights": { "hiddenKernel": false },
                                  "hiddenQuantizer": { "enabled": true, "omegaStart": 100, "omegaEnd": 4 } } },
              "training": { "epochs": 1, "batchSize": 50, "maxBatchesPerEpoch": 1 }, "data": { "trainLimit": 50, "testLimit": 50 } }
            """);
        var run = Path.Combine(_dir, "trained");
        var r = CliRunner.Run("train", "--config", config, "--out", run, "--deploy", _app!.Addresses[0], "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var serving = (await _client!.ModelsAsync(CancellationToken.None))[0];
        Assert.Equal(ArtifactFile.ReadWithDigest(Path.Combine(run, "model.hsa")).Digest, serving.Digest);
        Assert.Contains(serving.Digest, r.Output);
    }

    [Fact]
    public void Train_with_deploy_to_no_service_keeps_the_run_and_says_so()
    {
        var config = Path.Combine(_dir, "tiny2.json");
        File.WriteAllText(config, """
            { "name": "undeployed", "model": { "lmu": { "order": 8, "hidden": 12 } },
              "training": { "epochs": 1, "batchSize": 50, "maxBatchesPerEpoch": 1 }, "data": { "trainLimit": 50, "testLimit": 50 } }
            """);
        var run = Path.Combine(_dir, "kept");
        var r = CliRunner.Run("train", "--config", config, "--out", run, "--deploy", "http://127.0.0.1:1");
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains($"trained and saved in {run}, but no service answers at --deploy http://127.0.0.1:1/", r.Error);
        Assert.True(File.Exists(Path.Combine(run, "model.hsa")));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x55;
        return copy;
    }
}
