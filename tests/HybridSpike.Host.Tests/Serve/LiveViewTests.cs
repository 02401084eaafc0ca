using HybridSpike.Core.Serving;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HybridSpike.Host.Serve;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// What a live page reads from the service: the open streams (<c>GET /v2/streams</c>), a copy of a stream's outputs
/// (<c>/v2/streams/{id}/outputs</c>) and the spike counts of one of its populations (<c>/v2/streams/{id}/spikes</c>),
/// both as server-sent events that take nothing from the stream's own client.
/// </summary>
public sealed class LiveViewTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-live-").FullName;
    private readonly List<ServeApp> _apps = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(Uri Base, string Model)> Serve()
    {
        var model = TestArtifacts.SmallPsMnist(_dir);
        var app = await ServeTestKit.StartAsync(model, 4, 60, null, TextWriter.Null);
        _apps.Add(app);
        return (new Uri(app.Addresses[0]), model);
    }

    private async Task<OpenStreamResponse> Open(Uri service, object body)
    {
        var r = await _http.PostAsJsonAsync(new Uri(service, "/v2/streams"), body);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
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

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    [Fact]
    public async Task The_stream_list_gives_each_open_streams_model_steps_taken_and_state()
    {
        var (service, _) = await Serve();
        var first = await Open(service, new { });
        var second = await Open(service, new { });
        using var ws = await Connect(service, second);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        await Push(ws, [0.1, 0.2, 0.3]);
        // Every step is read: the third output means the mesh has taken the three steps.
        using (var frames = new CancellationTokenSource(Limit))
            while (!reading.IsCompleted && (await _http.GetFromJsonAsync<StreamInfo[]>(new Uri(service, "/v2/streams"), frames.Token))!.Single(s => s.Id == second.Id).StepsTaken < 3)
                await Task.Delay(20, frames.Token);
        var list = (await _http.GetFromJsonAsync<StreamInfo[]>(new Uri(service, "/v2/streams")))!;
        Assert.Equal([first.Id, second.Id], list.Select(s => s.Id));
        Assert.Equal(new StreamInfo(first.Id, first.Model, first.Version, 0, "opened"), list[0]);
        Assert.Equal(new StreamInfo(second.Id, second.Model, second.Version, 3, "streaming"), list[1]);
        await Send(ws, """{"type":"close"}""");
        await reading;
    }

    [Fact]
    public async Task The_outputs_events_of_a_stream_are_what_its_socket_read()
    {
        var (service, model) = await Serve();
        var (inputs, _) = ServeTestKit.Offline(model, 1);
        var s = await Open(service, new { });      // every step's output
        var (answer, events) = await ServeTestKit.SubscribeAsync(_http, new Uri(service, $"/v2/streams/{s.Id}/outputs"), Limit);
        Assert.Equal("text/event-stream", answer.Content.Headers.ContentType?.MediaType);
        using var ws = await Connect(service, s);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        for (int at = 0; at < inputs[0].Length; at += 100) await Push(ws, inputs[0].AsSpan(at, Math.Min(100, inputs[0].Length - at)));
        await Send(ws, """{"type":"close"}""");
        var read = (await reading).Where(f => f.GetProperty("type").GetString() == "output").ToList();
        var watched = await events;
        Assert.Equal(inputs[0].Length, read.Count);
        Assert.Equal(read.Select(f => f.GetProperty("step").GetInt64()), watched.Select(e => e.GetProperty("step").GetInt64()));
        Assert.Equal(read.Select(f => Doubles(f.GetProperty("outputs"))), watched.Select(e => Doubles(e.GetProperty("activity"))));
        Assert.Equal(read.Select(f => f.GetProperty("prediction").GetInt32()), watched.Select(e => e.GetProperty("argmax").GetInt32()));
    }

    [Fact]
    public async Task The_outputs_events_end_when_the_stream_closes()
    {
        var (service, _) = await Serve();
        var s = await Open(service, new { });
        var (_, events) = await ServeTestKit.SubscribeAsync(_http, new Uri(service, $"/v2/streams/{s.Id}/outputs"), Limit);
        using var ws = await Connect(service, s);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        await Push(ws, [0.5, 0.25]);
        await Send(ws, """{"type":"close"}""");
        await reading;
        Assert.Same(events, await Task.WhenAny(events, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Equal([0L, 1L], (await events).Select(e => e.GetProperty("step").GetInt64()));
    }

    [Fact]
    public async Task The_outputs_of_an_unknown_stream_are_a_404()
    {
        var (service, _) = await Serve();
        var r = await _http.GetAsync(new Uri(service, "/v2/streams/999/outputs"));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("no open stream '999'", (await r.Content.ReadFromJsonAsync<ErrorResponse>())!.Error);
    }

    [Fact]
    public async Task The_spikes_events_are_the_goldens_recorded_counts_for_the_digit()
    {
        var (service, model) = await Serve();
        var (inputs, _) = ServeTestKit.Offline(model, 2);
        var expected = ServeTestKit.OfflineCounts(model, inputs[1], "hidden");
        var s = await Open(service, new { readSteps = new[] { 783 } });
        var (answer, events) = await ServeTestKit.SubscribeAsync(_http, new Uri(service, $"/v2/streams/{s.Id}/spikes?population=hidden"), Limit);
        Assert.Equal("text/event-stream", answer.Content.Headers.ContentType?.MediaType);
        using var ws = await Connect(service, s);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        for (int at = 0; at < inputs[1].Length; at += 50) await Push(ws, inputs[1].AsSpan(at, Math.Min(50, inputs[1].Length - at)));
        await Send(ws, """{"type":"close"}""");
        await reading;
        var watched = await events;
        Assert.Contains(expected.Counts, n => n != 0);        // the digit makes the layer spike
        Assert.Equal(Enumerable.Range(0, inputs[1].Length).Select(k => (long)k), watched.Select(e => e.GetProperty("step").GetInt64()));
        for (int t = 0; t < watched.Count; t++)
            Assert.Equal(expected.Step(t).ToArray(), watched[t].GetProperty("counts").EnumerateArray().Select(v => v.GetInt32()).ToArray());
    }

    [Theory]
    [InlineData("?population=nope", "no population 'nope' (populations: hidden, out)")]
    [InlineData("?population=out", "population 'out' is not quantized: it sends activities, not spike counts (quantized populations: hidden)")]
    [InlineData("", "spikes need ?population=NAME, one of the quantized populations: hidden")]
    public async Task A_missing_unknown_or_non_spiking_population_is_a_400_naming_the_populations(string query, string message)
    {
        var (service, _) = await Serve();
        var s = await Open(service, new { });
        var r = await _http.GetAsync(new Uri(service, $"/v2/streams/{s.Id}/spikes{query}"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(message, (await r.Content.ReadFromJsonAsync<ErrorResponse>())!.Error);
    }

    [Fact]
    public async Task The_spikes_of_an_unknown_stream_are_a_404()
    {
        var (service, _) = await Serve();
        var r = await _http.GetAsync(new Uri(service, "/v2/streams/999/spikes?population=hidden"));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("no open stream '999'", (await r.Content.ReadFromJsonAsync<ErrorResponse>())!.Error);
    }

    [Fact]
    public async Task The_spikes_events_end_when_the_stream_closes()
    {
        var (service, _) = await Serve();
        var s = await Open(service, new { readSteps = new[] { 0 } });
        var (_, events) = await ServeTestKit.SubscribeAsync(_http, new Uri(service, $"/v2/streams/{s.Id}/spikes?population=hidden"), Limit);
        using var ws = await Connect(service, s);
        var reading = ServeTestKit.ReadFramesAsync(ws, Limit);
        await Push(ws, [0.5, 0.25, 1.0]);
        await Send(ws, """{"type":"close"}""");
        await reading;
        Assert.Same(events, await Task.WhenAny(events, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Equal([0L, 1L, 2L], (await events).Select(e => e.GetProperty("step").GetInt64()));
    }

    [Fact]
    public async Task The_models_list_each_population_with_its_size_and_whether_it_spikes()
    {
        var (service, _) = await Serve();
        var models = (await _http.GetFromJsonAsync<ModelVersionInfo[]>(new Uri(service, "/v2/models")))!;
        Assert.Equal([new PopulationInfo("hidden", 20, true), new PopulationInfo("out", 10, false)], models[0].Populations!);
    }
}
