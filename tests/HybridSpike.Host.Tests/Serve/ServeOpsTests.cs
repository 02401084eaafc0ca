using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Serve;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// The service's operations in-process: its Prometheus metrics after a stream ran and a request was refused, and its
/// OpenAPI description.
/// </summary>
public sealed class ServeOpsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-ops-").FullName;
    private readonly List<ServeApp> _apps = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(Uri Base, string Model)> Serve(int streams)
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        var app = await ServeTestKit.StartAsync(model, streams, 60, null, TextWriter.Null);
        _apps.Add(app);
        return (new Uri(app.Addresses[0]), model);
    }

    /// <summary>What the metrics say while a one-slot service runs a stream and refuses a second, and after.</summary>
    private sealed record Scrapes(string During, string After, int Steps);

    /// <summary>
    /// On a one-slot service: opens a stream, is refused a second (429), scrapes, runs the stream to its end (every
    /// step pushed in chunks of 100, the last one read), then scrapes once the stream is gone.
    /// </summary>
    private async Task<Scrapes> RunAStreamAndA429()
    {
        var (service, _) = await Serve(streams: 1);
        var open = await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), new { readSteps = new[] { 783 } });
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        var s = (await open.Content.ReadFromJsonAsync<OpenStreamResponse>())!;
        Assert.Equal(HttpStatusCode.TooManyRequests, (await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), new { })).StatusCode);
        var during = await Scrape(service);

        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://{service.Authority}{s.WebSocket}"), CancellationToken.None);
        const int steps = 784;
        for (int at = 0; at < steps; at += 100)
        {
            var chunk = Enumerable.Repeat(0.5, Math.Min(100, steps - at) * s.InputDimensions).ToArray();
            await Send(ws, JsonSerializer.Serialize(new { type = "push", values = chunk }));
        }
        await Send(ws, """{"type":"close"}""");
        await ReadUntilClosed(ws);

        // The slot is freed just after the closed frame: the stream leaves the hub then.
        string after;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        do after = await Scrape(service);
        while (Value(after, "hybridspike_serve_open_streams") != 0 && waited.Elapsed < TimeSpan.FromSeconds(10) && await Delay());
        return new Scrapes(during, after, steps);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(50);
        return true;
    }

    private async Task<string> Scrape(Uri service)
    {
        var r = await _http.GetAsync(new Uri(service, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadAsStringAsync();
    }

    private static Task Send(ClientWebSocket ws, string json) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task ReadUntilClosed(ClientWebSocket ws)
    {
        var buffer = new byte[1 << 20];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var text = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == WebSocketMessageType.Close) return;
                text.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            if (JsonDocument.Parse(text.ToArray()).RootElement.GetProperty("type").GetString() == "closed") return;
        }
    }

    /// <summary>The value of one sample in Prometheus text (<paramref name="series"/>: its name and labels as written); null if absent.</summary>
    private static double? Value(string text, string series) =>
        text.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (double?)double.Parse(l[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();

    [Fact]
    public async Task Open_streams_are_one_while_a_stream_runs_and_zero_after_it_closes()
    {
        var scrapes = await RunAStreamAndA429();
        Assert.Equal(1, Value(scrapes.During, "hybridspike_serve_open_streams"));
        Assert.Equal(0, Value(scrapes.After, "hybridspike_serve_open_streams"));
    }

    [Fact]
    public async Task Every_step_a_stream_pushed_is_counted()
    {
        var scrapes = await RunAStreamAndA429();
        Assert.Equal(scrapes.Steps, Value(scrapes.After, "hybridspike_serve_steps_total"));
    }

    [Fact]
    public async Task The_read_steps_push_to_output_latency_is_observed_once()
    {
        var scrapes = await RunAStreamAndA429();
        Assert.Equal(1, Value(scrapes.After, "hybridspike_serve_step_latency_seconds_count"));
    }

    [Fact]
    public async Task A_429_is_counted_as_one_rejection_with_its_reason()
    {
        var scrapes = await RunAStreamAndA429();
        Assert.Equal(1, Value(scrapes.After, """hybridspike_serve_rejected_requests_total{status="429",reason="no_free_slot"}"""));
    }

    [Fact]
    public async Task A_bad_open_request_is_counted_as_a_400_rejection()
    {
        var (service, _) = await Serve(streams: 1);
        await _http.PostAsync(new Uri(service, "/v2/streams"), new StringContent("{bad", Encoding.UTF8, "application/json"));
        Assert.Equal(1, Value(await Scrape(service), """hybridspike_serve_rejected_requests_total{status="400",reason="bad_request"}"""));
    }

    [Fact]
    public async Task The_served_model_is_a_gauge_labelled_with_its_name_and_version()
    {
        var (service, model) = await Serve(streams: 1);
        var version = ArtifactFile.ReadWithDigest(model).Digest[..12];
        var name = Path.GetFileName(Path.GetDirectoryName(model))!;
        Assert.Equal(1, Value(await Scrape(service), $$"""hybridspike_serve_model_info{name="{{name}}",version="{{version}}"}"""));
    }

    [Fact]
    public async Task Two_services_in_one_process_keep_their_counts_apart()
    {
        var (first, _) = await Serve(streams: 1);
        var (second, _) = await Serve(streams: 1);
        await _http.PostAsJsonAsync(new Uri(first, "/v2/streams"), new { });
        await _http.PostAsJsonAsync(new Uri(first, "/v2/streams"), new { });
        Assert.DoesNotContain("hybridspike_serve_rejected_requests_total{", await Scrape(second));
    }

    private async Task<JsonElement> OpenApi()
    {
        var (service, _) = await Serve(streams: 1);
        var r = await _http.GetAsync(new Uri(service, "/openapi/v1.json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("paths");
    }

    private static string[] Responses(JsonElement paths, string path, string method) =>
        [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(p => p.Name)];

    [Fact]
    public async Task The_openapi_document_gives_opening_a_stream_its_201_and_429()
    {
        var codes = Responses(await OpenApi(), "/v2/streams", "post");
        Assert.Superset(new HashSet<string> { "201", "429" }, codes.ToHashSet());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_health_endpoints()
    {
        var paths = (await OpenApi()).EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "/v2/health/live", "/v2/health/ready" }, paths);
    }

    [Fact]
    public async Task The_openapi_document_gives_the_telemetry_endpoint_its_200_and_503()
    {
        var codes = Responses(await OpenApi(), "/v2/telemetry", "get");
        Assert.Superset(new HashSet<string> { "200", "503" }, codes.ToHashSet());
    }

    [Fact]
    public async Task The_openapi_document_gives_a_model_versions_readiness_its_404()
    {
        Assert.Contains("404", Responses(await OpenApi(), "/v2/models/{name}/versions/{version}/ready", "get"));
    }

    [Fact]
    public async Task The_openapi_document_lists_a_streams_websocket_and_the_deployment_endpoints()
    {
        var paths = await OpenApi();
        Assert.Contains("409", Responses(paths, "/v2/streams/{id}", "get"));
        Assert.Contains("422", Responses(paths, "/v2/models", "post"));
        Assert.Contains("409", Responses(paths, "/v2/models/{name}/rollback", "post"));
    }

    [Fact]
    public async Task The_openapi_document_lists_the_live_view_endpoints_as_event_streams()
    {
        var paths = await OpenApi();
        Assert.Contains("200", Responses(paths, "/v2/streams", "get"));
        Assert.Contains("text/event-stream", paths.GetProperty("/v2/streams/{id}/outputs").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name));
        Assert.Contains("400", Responses(paths, "/v2/streams/{id}/spikes", "get"));
        Assert.Contains("text/event-stream", paths.GetProperty("/v2/streams/{id}/spikes").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").EnumerateObject().Select(c => c.Name));
    }
}
