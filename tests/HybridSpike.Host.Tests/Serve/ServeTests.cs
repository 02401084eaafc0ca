using HybridSpike.Core.Serving;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// <c>serve</c> over loopback: streams opened over HTTP and driven over WebSockets give the outputs the fixed-point
/// model gives offline, whatever the chunking and the other streams; bad frames and requests get clear errors and the
/// stream and the service go on; the service is bounded (429 when full, idle streams closed).
/// </summary>
public sealed class ServeTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-").FullName;
    private readonly List<ServeApp> _apps = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(ServeApp App, Uri Base, string Model)> Serve(int streams = 8, int idleSeconds = 60, string? artifact = null)
    {
        var model = artifact ?? TestArtifacts.SmallPsMnist(_dir);
        var app = await ServeTestKit.StartAsync(model, streams, idleSeconds, null, TextWriter.Null);
        _apps.Add(app);
        return (app, new Uri(app.Addresses[0]), model);
    }

    private async Task<OpenStreamResponse> Open(Uri service, object? body = null)
    {
        var r = await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), body ?? new { readSteps = new[] { 783 } });
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<OpenStreamResponse>())!;
    }

    private static async Task<ClientWebSocket> Connect(Uri service, OpenStreamResponse s)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://{service.Authority}{s.WebSocket}"), CancellationToken.None);
        return ws;
    }

    private static Task Send(ClientWebSocket ws, string json) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static Task Push(ClientWebSocket ws, ReadOnlySpan<double> values) =>
        Send(ws, JsonSerializer.Serialize(new { type = "push", values = values.ToArray() }));

    private static double[] Outputs(JsonElement frame) => [.. frame.GetProperty("outputs").EnumerateArray().Select(v => v.GetDouble())];

    [Fact]
    public async Task Concurrent_streams_in_any_chunks_give_the_fixed_point_models_outputs()
    {
        var (_, service, model) = await Serve();
        var (inputs, expected) = ServeTestKit.Offline(model, 4);
        int[] chunks = [1, 7, 100, 784];
        var runs = Enumerable.Range(0, 4).Select(async i =>
        {
            var s = await Open(service);
            using var ws = await Connect(service, s);
            var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
            for (int at = 0; at < inputs[i].Length; at += chunks[i])
                await Push(ws, inputs[i].AsSpan(at, Math.Min(chunks[i], inputs[i].Length - at)));
            await Send(ws, """{"type":"close"}""");
            return await reading;
        }).ToArray();
        var frames = await Task.WhenAll(runs);
        for (int i = 0; i < 4; i++)
        {
            var outputs = frames[i].Where(f => f.GetProperty("type").GetString() == "output").ToList();
            var only = Assert.Single(outputs);
            Assert.Equal(783, only.GetProperty("step").GetInt64());
            Assert.Equal(expected[i], Outputs(only));
            Assert.Equal("closed", frames[i][^1].GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Bad_frames_get_an_error_frame_and_the_stream_still_gives_its_outputs()
    {
        var (_, service, model) = await Serve();
        var (inputs, expected) = ServeTestKit.Offline(model, 1);
        var s = await Open(service);
        using var ws = await Connect(service, s);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        await Send(ws, "{not json");
        await Send(ws, """{"type":"jump"}""");
        await Send(ws, """{"type":"push"}""");
        await Send(ws, """{"type":"push","values":["NaN"]}""");
        await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await Push(ws, inputs[0]);
        await Send(ws, """{"type":"close"}""");
        var frames = await reading;
        var errors = frames.Where(f => f.GetProperty("type").GetString() == "error").Select(f => f.GetProperty("message").GetString()!).ToList();
        Assert.Equal(5, errors.Count);
        Assert.StartsWith("malformed JSON frame", errors[0]);
        Assert.Equal("unknown frame type 'jump': the types are push, close", errors[1]);
        Assert.StartsWith("a push frame needs 'values'", errors[2]);
        Assert.Equal($"stream {s.Id}: value NaN at step 0 of the chunk (dimension 0) is not finite", errors[3]);
        Assert.Equal("malformed MessagePack frame: a Integer, not a map", errors[4]);
        Assert.Equal(expected[0], Outputs(Assert.Single(frames, f => f.GetProperty("type").GetString() == "output")));
    }

    [Theory]
    [InlineData("{bad", HttpStatusCode.BadRequest, "malformed JSON body")]
    [InlineData("""{"whenFull":"drop"}""", HttpStatusCode.BadRequest, "whenFull 'drop' is not one of wait, reject")]
    [InlineData("""{"readSteps":[-1]}""", HttpStatusCode.BadRequest, "readSteps: must not be negative")]
    public async Task A_bad_open_request_is_a_400_naming_the_problem(string body, HttpStatusCode status, string message)
    {
        var (_, service, _) = await Serve();
        var r = await _http.PostAsync(new Uri(service, "/v2/streams"), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, r.StatusCode);
        Assert.Contains(message, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_stream_is_a_404_and_a_plain_request_to_a_stream_a_400()
    {
        var (_, service, _) = await Serve();
        var unknown = await _http.GetAsync(new Uri(service, "/v2/streams/999"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no open stream '999'", await unknown.Content.ReadAsStringAsync());
        var s = await Open(service);
        var plain = await _http.GetAsync(new Uri(service, s.WebSocket));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }

    [Fact]
    public async Task A_full_service_answers_429_with_retry_after()
    {
        var (_, service, _) = await Serve(streams: 2);
        await Open(service);
        await Open(service);
        var third = await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), third.Headers.RetryAfter?.Delta);
        Assert.Contains("all 2 stream slots are taken", await third.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_idle_stream_is_closed_and_frees_its_slot()
    {
        var (_, service, _) = await Serve(streams: 1, idleSeconds: 1);
        await Open(service);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage again;
        do
        {
            await Task.Delay(250);
            again = await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), new { });
        } while (again.StatusCode == HttpStatusCode.TooManyRequests && waited.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task Health_and_models_say_what_is_served_versioned_by_the_artifacts_digest()
    {
        var (_, service, model) = await Serve();
        var digest = ArtifactFile.ReadWithDigest(model).Digest;
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(service, "/v2/health/live"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(service, "/v2/health/ready"))).StatusCode);
        var models = await _http.GetFromJsonAsync<ModelVersionInfo[]>(new Uri(service, "/v2/models"));
        var only = Assert.Single(models!);
        Assert.Equal(digest, only.Digest);
        Assert.Equal(digest[..12], only.Version);
        var s = await Open(service);
        Assert.Equal(only.Version, s.Version);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(service, $"/v2/models/{only.Name}/versions/{only.Version}/ready"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(service, $"/v2/models/{only.Name}/versions/000000000000/ready"))).StatusCode);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("msgpack")]
    public async Task The_stream_command_gives_the_predictions_simulate_gives_on_the_same_digits(string frames)
    {
        var (_, service, model) = await Serve();
        var streamed = CliRunner.Run("stream", "--url", service.ToString(), "--samples", "12", "--concurrency", "3", "--chunk", "50", "--frames", frames, "--json");
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        var simulated = CliRunner.Run("simulate", "--model", model, "--samples", "12", "--json");
        Assert.True(simulated.ExitCode == 0, simulated.Error);
        using var a = JsonDocument.Parse(streamed.Output);
        using var b = JsonDocument.Parse(simulated.Output);
        var fromService = a.RootElement.GetProperty("perSample").EnumerateArray().Select(p => p.GetProperty("prediction").GetInt32()).ToArray();
        var fromSimulate = b.RootElement.GetProperty("perSample").EnumerateArray().Select(p => p.GetProperty("mesh").GetInt32()).ToArray();
        Assert.Equal(fromSimulate, fromService);
        Assert.Equal(b.RootElement.GetProperty("meshAccuracy").GetDouble(), a.RootElement.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task The_stream_command_says_the_version_each_sequence_ran_on()
    {
        var (app, service, _) = await Serve();
        var streamed = CliRunner.Run("stream", "--url", service.ToString(), "--samples", "2", "--json");
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        using var a = JsonDocument.Parse(streamed.Output);
        Assert.All(a.RootElement.GetProperty("perSample").EnumerateArray(), p => Assert.Equal(app.Hub.Model.Version, p.GetProperty("version").GetString()));
    }

    [Fact]
    public void The_stream_command_names_an_address_where_no_service_answers()
    {
        var r = CliRunner.Run("stream", "--url", "http://127.0.0.1:1", "--samples", "1");
        Assert.Equal(Cli.BadInput, r.ExitCode);
        Assert.Contains("--url http://127.0.0.1:1/: no service answers there", r.Error);
    }

    [Fact]
    public async Task The_stream_command_sends_the_view_the_served_model_reads()
    {
        // A model whose input names another psMNIST permutation: stream must send that view to agree with simulate.
        var path = TestArtifacts.SmallPsMnist(Directory.CreateDirectory(Path.Combine(_dir, "seeded")).FullName);
        var artifact = ArtifactFile.Read(path);
        var seeded = artifact.Network with { Input = artifact.Network.Input with { Sequence = new Core.Network.SequenceInput(Datasets.MnistEmbedded, Datasets.DefaultSplitSeed, 12345) } };
        ArtifactFile.Write(path, ModelArtifact.Create(seeded, artifact.Provenance));
        var (_, service, model) = await Serve(artifact: path);
        var models = await _http.GetFromJsonAsync<ModelVersionInfo[]>(new Uri(service, "/v2/models"));
        Assert.Equal(new ModelInput(Datasets.MnistEmbedded, Datasets.DefaultSplitSeed, 12345UL), models![0].Input);
        var streamed = CliRunner.Run("stream", "--url", service.ToString(), "--samples", "12", "--json");
        var simulated = CliRunner.Run("simulate", "--model", model, "--samples", "12", "--json");
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        using var a = JsonDocument.Parse(streamed.Output);
        using var b = JsonDocument.Parse(simulated.Output);
        Assert.Equal(b.RootElement.GetProperty("perSample").EnumerateArray().Select(p => p.GetProperty("mesh").GetInt32()),
            a.RootElement.GetProperty("perSample").EnumerateArray().Select(p => p.GetProperty("prediction").GetInt32()));
    }
}
