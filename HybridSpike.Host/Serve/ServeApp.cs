using HybridSpike.Core.Serving;
using System.Text.Json;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Core.Artifact;
using HybridSpike.Host.Hosting;
using HybridSpike.Mapping.Compile;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Prometheus;

namespace HybridSpike.Host.Serve;

/// <summary>What a service serves and how (the parsed <c>serve</c> options).</summary>
/// <param name="Urls">Where it listens; 127.0.0.1 unless told otherwise (port 0: any free one).</param>
/// <param name="Streams">Streams open at once: the resident mesh's slots.</param>
/// <param name="IdleTimeout">A stream nobody pushed to or read from for this long is closed, freeing its slot.</param>
internal sealed record ServeOptions(string Model, Commands.CompileTarget Target, string Urls, int Streams, TimeSpan IdleTimeout);

/// <summary>
/// The streaming service: ASP.NET Core and the mesh's actor system in one host (Akka.Hosting), the artifact compiled
/// and deployed once as a resident mesh, and the HTTP and WebSocket endpoints over it (docs/serve.md).
/// </summary>
internal sealed class ServeApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StreamHub _hub;
    private readonly Timer _idle;

    private ServeApp(WebApplication app, StreamHub hub)
    {
        _app = app;
        _hub = hub;
        _idle = new Timer(_ => hub.CloseIdle(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The addresses it listens on (with the port chosen when the options asked for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    internal StreamHub Hub => _hub;

    /// <summary>The logger category of the service's own events (streams opened and closed, rejections).</summary>
    internal const string LogCategory = "HybridSpike.Serve";

    /// <summary>
    /// Reads, validates and compiles the artifact (a bad one is refused before anything listens), then starts.
    /// <paramref name="jsonLogs"/>: the service's events as one JSON object a line on stderr (the CLI; tests in-process
    /// keep the test runner's stderr quiet).
    /// </summary>
    public static async Task<ServeApp> StartAsync(ServeOptions options, TextWriter log, CancellationToken cancel, bool jsonLogs = false)
    {
        var path = Services.CompileService.ArtifactPath(options.Model);
        var (artifact, digest) = ArtifactFile.ReadWithDigest(path);
        var profile = Mapping.Profiles.Profiles.Get(options.Target.Profile);
        var mesh = Services.CompileService.Compile(artifact.Network, profile, options.Target);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        if (jsonLogs)
        {
            // Every level to stderr: stdout stays clean for whatever a caller pipes. ASP.NET Core's per-request lines
            // are left out (warnings only); the service's own events are information.
            builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter(LogCategory, LogLevel.Information);
        }
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, ServeLifetime>();
        // After the drain, what still holds a connection gets this long.
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.Services.AddMeshActorSystem(MeshHosting.LocalConfig());
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // The endpoints are mapped before the host starts (the routing pipeline is built then); until the mesh is
        // deployed they answer 503 and ready says false.
        var served = new Served();
        var metrics = new ServeMetrics();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        Map(app, served, metrics, logger);
        await app.StartAsync(cancel).ConfigureAwait(false);
        try
        {
            var system = app.Services.GetRequiredService<ActorSystem>();
            var deployment = await MeshDeployment.StartAsync(system, mesh, DeploymentOptions.Local(options.Streams), cancel).ConfigureAwait(false);
            var name = Path.GetFileNameWithoutExtension(path) is "model" ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "model" : Path.GetFileNameWithoutExtension(path);
            var hub = new StreamHub(new ServedModel(name, digest, mesh, deployment), options.IdleTimeout, metrics, logger);
            metrics.Serving(hub);
            served.Hub = hub;
            var service = new ServeApp(app, hub);
            log.WriteLine($"serve: {name} version {hub.Model.Version} on {profile.Name} ({mesh.Cores.Length} cores, {options.Streams} stream slots) at {string.Join(", ", service.Addresses)}; Ctrl-C stops");
            return service;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What the endpoints serve: null until the mesh is deployed.</summary>
    private sealed class Served
    {
        public volatile StreamHub? Hub;
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), StreamSocket.Json, statusCode: status);

    private static readonly IResult NotReady = Error(503, "the model is being deployed: retry shortly");

    private static void Map(WebApplication app, Served served, ServeMetrics metrics, ILogger log)
    {
        // A refusal is counted and logged (its status, reason and message) where it is answered.
        IResult Refuse(int status, Rejection reason, string message)
        {
            metrics.Rejected(status, reason);
            log.LogInformation("request refused: {Status} {Reason}: {Message}", status, reason, message);
            return Error(status, message);
        }
        IResult RefuseNotReady()
        {
            metrics.Rejected(503, Rejection.NotReady);
            return NotReady;
        }

        app.MapOpenApi();
        app.MapMetrics("/metrics", metrics.Registry).WithName("Metrics").WithSummary("Prometheus metrics: streams, steps, latency, queue, rejections, the model's version");
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }))
            .WithName("Live").WithSummary("The process is up").Produces(200);
        app.MapGet("/v2/health/ready", () => served.Hub is null ? Results.Json(new { ready = false }, statusCode: 503) : Results.Json(new { ready = true }))
            .WithName("Ready").WithSummary("The model is deployed and streams can be opened").Produces(200).Produces(503);
        app.MapGet("/v2/models", () => served.Hub is { } hub ? Results.Json(new[] { Info(hub) }, StreamSocket.Json) : Results.Json(Array.Empty<ModelVersionInfo>()))
            .WithName("Models").WithSummary("The model served: name, version (the artifact's digest), open streams").Produces<ModelVersionInfo[]>(200);
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (string name, string version) =>
            served.Hub is not { } hub ? RefuseNotReady()
            : name == hub.Model.Name && version == hub.Model.Version ? Results.Json(new { ready = true })
            : Refuse(404, Rejection.NotFound, $"no model '{name}' version '{version}' (serving {hub.Model.Name} version {hub.Model.Version})"))
            .WithName("ModelVersionReady").WithSummary("Whether this model version is the one served and ready")
            .Produces(200).Produces<ErrorResponse>(404).Produces<ErrorResponse>(503);

        app.MapPost("/v2/streams", async (HttpContext http) =>
        {
            if (served.Hub is not { } hub) return RefuseNotReady();
            OpenStreamRequest request;
            try
            {
                request = http.Request.ContentLength is 0 ? new OpenStreamRequest(null, null)
                    : await JsonSerializer.DeserializeAsync<OpenStreamRequest>(http.Request.Body, StreamSocket.Json, http.RequestAborted) ?? new OpenStreamRequest(null, null);
            }
            catch (JsonException e) { return Refuse(400, Rejection.BadRequest, $"malformed JSON body: {e.Message}"); }
            try
            {
                var s = await hub.OpenAsync(request, http.RequestAborted);
                var m = hub.Model;
                return Results.Json(new OpenStreamResponse(s.Id, m.Name, m.Version, s.Stream.Dimensions, m.Mesh.Network.Population(m.Mesh.Network.Output.Population).Size, $"/v2/streams/{s.Id}"),
                    StreamSocket.Json, statusCode: 201);
            }
            catch (ArgumentException e) { return Refuse(400, Rejection.BadRequest, e.Message); }
            catch (NoFreeSlotException)
            {
                http.Response.Headers.RetryAfter = "1";
                return Refuse(429, Rejection.NoFreeSlot, $"all {hub.MaxStreams} stream slots are taken: retry later");
            }
            catch (ServiceStoppingException e) { return Refuse(503, Rejection.Stopping, e.Message); }
        })
            .WithName("OpenStream").WithSummary("Opens a stream; drive it over the WebSocket at the returned address")
            .Accepts<OpenStreamRequest>("application/json")
            .Produces<OpenStreamResponse>(201).Produces<ErrorResponse>(400)
            .Produces<ErrorResponse>(429).Produces<ErrorResponse>(503);

        app.Map("/v2/streams/{id}", async (HttpContext http, string id) =>
        {
            if (served.Hub is not { } hub) { await RefuseNotReady().ExecuteAsync(http); return; }
            if (hub.Find(id) is not { } s) { await Refuse(404, Rejection.NotFound, $"no open stream '{id}'").ExecuteAsync(http); return; }
            if (!http.WebSockets.IsWebSocketRequest) { await Refuse(400, Rejection.NotAWebSocket, $"stream '{id}' is driven over a WebSocket: connect with ws://…/v2/streams/{id}").ExecuteAsync(http); return; }
            if (!s.TryAttach()) { await Refuse(409, Rejection.AlreadyAttached, $"stream '{id}' already has a socket").ExecuteAsync(http); return; }
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            await StreamSocket.RunAsync(socket, s, metrics, log, http.RequestAborted);
        })
            .WithName("StreamSocket").WithSummary("A stream's WebSocket (JSON push/close frames in, output/error/closed frames out; docs/serve.md)")
            .Produces(101).Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).Produces<ErrorResponse>(409).Produces<ErrorResponse>(503);
    }

    private static ModelVersionInfo Info(StreamHub hub) =>
        new(hub.Model.Name, hub.Model.Version, hub.Model.Digest, "serving", hub.OpenStreams);

    /// <summary>Graceful stop: no new stream, open ones get <paramref name="deadline"/> to finish, then the mesh and the host stop.</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        await _hub.DrainAsync(deadline).ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _idle.DisposeAsync().ConfigureAwait(false);
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
