using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HybridSpike.Core.Serving;

namespace HybridSpike.Host.Tests.Serve;

/// <summary>
/// <c>hybridspike serve</c> as a process of its own, on a free loopback port: what it writes and how it stops. Each
/// test ends only the process it started, by its id.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly RunningProcess _running;

    private ServeProcess(RunningProcess running, Uri @base)
    {
        _running = running;
        Base = @base;
    }

    public Process Process => _running.Process;

    public Uri Base { get; }

    public string Error => _running.Error;

    public string Output => _running.Output;

    public string[] ErrorLines => _running.ErrorLines;

    /// <summary>Starts <c>serve</c> (through <see cref="RunningProcess"/>) and waits until it serves.</summary>
    public static async Task<ServeProcess> StartAsync(string model, IReadOnlyDictionary<string, string>? env = null, params string[] more)
    {
        int port = RunningProcess.FreePort();
        var p = new ServeProcess(RunningProcess.Start(env, ["serve", "--model", model, "--urls", $"http://127.0.0.1:{port}", .. more]), new Uri($"http://127.0.0.1:{port}"));
        try { await p.WaitForLineAsync(l => l.StartsWith("serve: ", StringComparison.Ordinal) && l.EndsWith("Ctrl-C stops", StringComparison.Ordinal), TimeSpan.FromSeconds(60)); }
        catch { p.Dispose(); throw; }
        return p;
    }

    public Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) => _running.WaitForLineAsync(match, timeout);

    public void Signal(string signal) => _running.Signal(signal);

    public bool WaitForExit(TimeSpan timeout) => _running.WaitForExit(timeout);

    public void Dispose() => _running.Dispose();
}

/// <summary>A stream over a service's WebSocket, for the process tests.</summary>
internal sealed class TestStream : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();

    public OpenStreamResponse Opened { get; private set; } = null!;

    public static async Task<TestStream> OpenAsync(HttpClient http, Uri service, object body)
    {
        var r = await http.PostAsJsonAsync(new Uri(service, "/v2/streams"), body);
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        var s = new TestStream { Opened = (await r.Content.ReadFromJsonAsync<OpenStreamResponse>())! };
        await s._ws.ConnectAsync(new Uri($"ws://{service.Authority}{s.Opened.WebSocket}"), CancellationToken.None);
        return s;
    }

    public Task Send(string json) => _ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task Push(int steps) => Send(JsonSerializer.Serialize(new { type = "push", values = Enumerable.Repeat(0.5, steps * Opened.InputDimensions).ToArray() }));

    public Task Close() => Send("""{"type":"close"}""");

    /// <summary>Reads frames until the service closes the stream (or the socket ends).</summary>
    public Task<List<JsonElement>> ReadAllAsync(TimeSpan limit) => ServeTestKit.ReadFramesAsync(_ws, limit);

    public ValueTask DisposeAsync()
    {
        _ws.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// One service process that ran a stream, refused one request (429) and was stopped by SIGTERM: what it wrote.
/// Run once for the tests that read it.
/// </summary>
public sealed class ServedOnceFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-proc-").FullName;

    public string Stdout { get; private set; } = "";

    public string[] Stderr { get; private set; } = [];

    public int ExitCode { get; private set; }

    public string StreamId { get; private set; } = "";

    public string Version { get; private set; } = "";

    public async Task InitializeAsync()
    {
        using var serve = await ServeProcess.StartAsync(TestArtifacts.SmallPsMnist(_dir), null, "--streams", "1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await using (var s = await TestStream.OpenAsync(http, serve.Base, new { readSteps = new[] { 783 } }))
        {
            StreamId = s.Opened.Id;
            Version = s.Opened.Version;
            Assert.Equal(HttpStatusCode.TooManyRequests, (await http.PostAsJsonAsync(new Uri(serve.Base, "/v2/streams"), new { })).StatusCode);
            var reading = s.ReadAllAsync(TimeSpan.FromSeconds(60));
            await s.Push(784);
            await s.Close();
            await reading;
        }
        // The closed line is logged just after the closed frame is sent.
        await serve.WaitForLineAsync(l => l.Contains("closed on", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        serve.Signal("TERM");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(30)), "serve did not stop after SIGTERM");
        ExitCode = serve.Process.ExitCode;
        Stdout = serve.Output;
        Stderr = serve.ErrorLines;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The service's events as JSON lines on stderr, stdout left clean.</summary>
[Collection(ProcessTests.Name)]
public sealed class ServeLogTests(ServedOnceFixture served) : IClassFixture<ServedOnceFixture>
{
    /// <summary>The JSON log lines of stderr (the others are the service's plain "serve: …" lines).</summary>
    private IEnumerable<JsonElement> Events => served.Stderr.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone());

    private static string State(JsonElement e, string name) => e.GetProperty("State").GetProperty(name).ToString();

    [Fact]
    public void Stdout_stays_empty()
    {
        Assert.Equal("", served.Stdout);
    }

    [Fact]
    public void Every_stderr_line_is_a_json_object_or_a_serve_line()
    {
        Assert.All(served.Stderr, l => Assert.True(l.StartsWith("serve: ", StringComparison.Ordinal) || JsonDocument.Parse(l).RootElement.ValueKind == JsonValueKind.Object, l));
    }

    [Fact]
    public void Opening_a_stream_is_logged_with_its_id_and_version()
    {
        var opened = Assert.Single(Events, e => e.GetProperty("Message").GetString()!.Contains(" opened on ", StringComparison.Ordinal));
        Assert.Equal((served.StreamId, served.Version), (State(opened, "StreamId"), State(opened, "Version")));
    }

    [Fact]
    public void Closing_a_stream_is_logged_with_its_id_and_reason()
    {
        var closed = Assert.Single(Events, e => e.GetProperty("Message").GetString()!.Contains(" closed on ", StringComparison.Ordinal));
        Assert.Equal((served.StreamId, "complete: every output was sent"), (State(closed, "StreamId"), State(closed, "Reason")));
    }

    [Fact]
    public void A_429_is_logged_with_its_status_and_reason()
    {
        var refused = Assert.Single(Events, e => e.GetProperty("Message").GetString()!.StartsWith("request refused", StringComparison.Ordinal));
        Assert.Equal(("429", "NoFreeSlot"), (State(refused, "Status"), State(refused, "Reason")));
    }

    [Fact]
    public void Sigterm_after_the_stream_exits_0()
    {
        Assert.Equal(0, served.ExitCode);
    }
}

/// <summary>How the service stops: draining its open streams, refusing new ones; and what it never loads.</summary>
[Collection(ProcessTests.Name)]
public sealed class ServeStopTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-serve-stop-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// A stream pushing a step every 50 ms; SIGTERM after 10 steps; 20 more steps, then close. What came back, how a
    /// new stream was answered while the service drained, and how long it took to exit after the signal.
    /// </summary>
    private async Task<(List<JsonElement> Frames, HttpStatusCode NewStream, int ExitCode, TimeSpan Exit)> SigtermWhilePushing()
    {
        using var serve = await ServeProcess.StartAsync(TestArtifacts.SmallPsMnist(_dir));
        await using var s = await TestStream.OpenAsync(_http, serve.Base, new { });
        var reading = s.ReadAllAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < 10; i++) { await s.Push(1); await Task.Delay(50); }
        serve.Signal("TERM");
        var signalled = Stopwatch.StartNew();
        await serve.WaitForLineAsync(l => l.StartsWith("serve: SIGTERM", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var refused = await _http.PostAsJsonAsync(new Uri(serve.Base, "/v2/streams"), new { });
        for (int i = 0; i < 20; i++) { await s.Push(1); await Task.Delay(50); }
        await s.Close();
        var frames = await reading;
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(30)), $"serve did not stop after SIGTERM; stderr:\n{serve.Error}");
        return (frames, refused.StatusCode, serve.Process.ExitCode, signalled.Elapsed);
    }

    [Fact]
    public async Task Sigterm_lets_an_open_stream_finish_refuses_new_ones_and_exits_0_within_the_drain_deadline()
    {
        var (frames, newStream, exitCode, exit) = await SigtermWhilePushing();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, newStream);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), frames.Where(f => f.GetProperty("type").GetString() == "output").Select(f => f.GetProperty("step").GetInt64()));
        Assert.Equal("closed", frames[^1].GetProperty("type").GetString());
        Assert.Equal(0, exitCode);
        Assert.InRange(exit, TimeSpan.Zero, Services.ServeService.DrainDeadline + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Ctrl_c_stops_the_service_with_exit_130()
    {
        using var serve = await ServeProcess.StartAsync(TestArtifacts.SmallPsMnist(_dir));
        serve.Signal("INT");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(30)), $"serve did not stop after Ctrl-C; stderr:\n{serve.Error}");
        Assert.Equal(130, serve.Process.ExitCode);
    }

    [Fact]
    public async Task A_serving_process_maps_akka_and_no_libtorch()
    {
        using var serve = await ServeProcess.StartAsync(TestArtifacts.SmallPsMnist(_dir));
        await using (var s = await TestStream.OpenAsync(_http, serve.Base, new { readSteps = new[] { 783 } }))
        {
            var reading = s.ReadAllAsync(TimeSpan.FromSeconds(60));
            await s.Push(784);
            await s.Close();
            await reading;
        }
        var mapped = Trainer.ProcMaps.Files(serve.Process.Id);
        // The maps do list the assemblies a serving process loads (else the check below would pass on nothing).
        Assert.True(Trainer.ProcMaps.Maps(mapped, "Akka.dll"), string.Join('\n', mapped));
        Assert.False(Trainer.ProcMaps.Maps(mapped, "libtorch"), string.Join('\n', mapped.Where(f => f.Contains("torch", StringComparison.OrdinalIgnoreCase))));
    }

    [Fact]
    public async Task Serving_a_stream_never_loads_libtorch()
    {
        using var serve = await ServeProcess.StartAsync(TestArtifacts.SmallPsMnist(_dir), new Dictionary<string, string> { ["LD_DEBUG"] = "files" });
        await using (var s = await TestStream.OpenAsync(_http, serve.Base, new { readSteps = new[] { 783 } }))
        {
            var reading = s.ReadAllAsync(TimeSpan.FromSeconds(60));
            await s.Push(784);
            await s.Close();
            await reading;
        }
        serve.Dispose();
        var lines = serve.ErrorLines;
        // The loader did report (else the check below would pass on nothing).
        Assert.Contains(lines, l => l.Contains("libcoreclr.so", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("libtorch", StringComparison.OrdinalIgnoreCase));
    }
}
