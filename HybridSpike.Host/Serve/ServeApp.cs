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
using Prometheus;

namespace HybridSpike.Host.Serve;

/// <summary>What a service serves and how (the parsed <c>serve</c> options).</summary>
/// <param name="Urls">Where it listens; 127.0.0.1 unless told otherwise (port 0: any free one).</param>
/// <param name="Streams">Streams open at once: the resident mesh's slots.</param>
/// <param name="IdleTimeout">A stream nobody pushed to or read from for this long is closed, freeing its slot.</param>
/// <param name="Cluster">Spread the mesh over a cluster's nodes (this process joins as their coordinator); null: every core here.</param>
internal sealed record ServeOptions(string Model, Commands.CompileTarget Target, string Urls, int Streams, TimeSpan IdleTimeout, Commands.ClusterRequest? Cluster)
{
    /// <summary>Refuse a deployment whose accuracy on a check set falls too far below the serving model's; null: no gate.</summary>
    public AccuracyGate? Gate { get; init; }

    /// <summary>How often the meshes' telemetry is collected for /metrics and /v2/telemetry (a round over every core).</summary>
    public TimeSpan TelemetryInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// A deployment's gate (KServe's way of pinning the last good revision): the new model's fixed-point accuracy on the
/// first <paramref name="Sequences"/> test sequences of the serving model's dataset may be at most
/// <paramref name="MaxDropPoints"/> percentage points below the serving model's.
/// </summary>
internal sealed record AccuracyGate(int Sequences, double MaxDropPoints);

/// <summary>
/// The streaming service: ASP.NET Core and the mesh's actor system in one host (Akka.Hosting), the artifact compiled
/// and deployed once as a resident mesh, and the HTTP and WebSocket endpoints over it (docs/serve.md).
/// </summary>
internal sealed class ServeApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StreamHub _hub;
    private readonly Timer _idle;
    private readonly Services.NodeService.Coordinator? _coordinator;
    private readonly ServeTelemetry _telemetry;

    private ServeApp(WebApplication app, StreamHub hub, ServeTelemetry telemetry, Services.NodeService.Coordinator? coordinator)
    {
        _app = app;
        _hub = hub;
        _telemetry = telemetry;
        _coordinator = coordinator;
        _idle = new Timer(_ => hub.CloseIdle(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The addresses it listens on (with the port chosen when the options asked for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    internal StreamHub Hub => _hub;

    internal ServeTelemetry Telemetry => _telemetry;

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

        // In a cluster this process joins as the coordinator first (its actor system is the cluster node's, with its
        // bounded leave); here, the web host carries the actor system itself (Akka.Hosting).
        var coordinator = options.Cluster is { } cluster ? await Services.NodeService.JoinAsync(cluster, log, cancel).ConfigureAwait(false) : null;
        var run = coordinator?.Options ?? Actors.Runtime.MeshRunOptions.Local;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        if (jsonLogs) JsonLogs.Use(builder, LogCategory);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, ServeLifetime>();
        // After the drain, what still holds a connection gets this long.
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        if (coordinator is not null) builder.Services.AddSingleton(coordinator.System);
        else builder.Services.AddMeshActorSystem(MeshHosting.LocalConfig());
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // The endpoints are mapped before the host starts (the routing pipeline is built then); until the mesh is
        // deployed they answer 503 and ready says false.
        var served = new Served();
        var metrics = new ServeMetrics();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        Map(app, served, metrics, logger);
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
            var system = app.Services.GetRequiredService<ActorSystem>();
            var deployment = await MeshDeployment.StartAsync(system, mesh, new DeploymentOptions(options.Streams, run, false, null), cancel).ConfigureAwait(false);
            var name = Path.GetFileNameWithoutExtension(path) is "model" ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "model" : Path.GetFileNameWithoutExtension(path);
            var hub = new StreamHub(new ServedModel(name, digest, mesh, deployment, ServedModel.SequenceSteps(artifact)), options.IdleTimeout, metrics, logger);
            metrics.Serving(hub);
            var telemetry = new ServeTelemetry(hub, options.TelemetryInterval, metrics);
            var checkSet = options.Gate is { } gate ? Core.Data.SequenceData.Load(Core.Data.DataConfig.ForArtifact(artifact, path) with { TestLimit = gate.Sequences }) : null;
            if (options.Gate is { } g && checkSet is not null) Commands.Check.WithinSplit(g.Sequences, checkSet.Test.Count, "--gate-samples", checkSet.Config.Dataset);
            served.Deploy = new LiveDeployer(hub, system, profile, options, run, checkSet);
            served.Telemetry = telemetry;
            served.Hub = hub;
            telemetry.Start();
            var service = new ServeApp(app, hub, telemetry, coordinator);
            log.WriteLine($"serve: {name} version {hub.Model.Version} on {profile.Name} ({mesh.Cores.Length} cores, {options.Streams} stream slots) at {string.Join(", ", service.Addresses)}; Ctrl-C stops");
            return service;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            if (coordinator is not null) await coordinator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What the endpoints serve: null until the mesh is deployed.</summary>
    private sealed class Served
    {
        public volatile StreamHub? Hub;
        public LiveDeployer? Deploy;
        public ServeTelemetry? Telemetry;
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
        app.MapMetrics("/metrics", metrics.Registry).WithName("Metrics").WithSummary("Prometheus metrics: streams, steps, latency, queue, rejections, the model's version, the meshes' spikes, packets and energy");
        app.MapGet("/v2/telemetry", () => served.Hub is null || served.Telemetry is not { } t ? RefuseNotReady() : Results.Json(t.Snapshot(), StreamSocket.Json))
            .WithName("Telemetry").WithSummary("The serving mesh's rates, grid, cores and link loads over the last telemetry interval, and the totals so far")
            .Produces<TelemetryResponse>(200).Produces<ErrorResponse>(503);
        LivePage.Map(app);
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }))
            .WithName("Live").WithSummary("The process is up").Produces(200);
        app.MapGet("/v2/health/ready", () => served.Hub is null ? Results.Json(new { ready = false }, statusCode: 503) : Results.Json(new { ready = true }))
            .WithName("Ready").WithSummary("The model is deployed and streams can be opened").Produces(200).Produces(503);
        app.MapGet("/v2/models", () => served.Hub is { } hub ? Results.Json(hub.Versions(), StreamSocket.Json) : Results.Json(Array.Empty<ModelVersionInfo>()))
            .WithName("Models").WithSummary("Every model served, newest first: name, version (the artifact's digest), state, open streams, input, populations").Produces<ModelVersionInfo[]>(200);

        // Live deployment: the body is an artifact (.hsa bytes). Validated and compiled before anything changes; a bad
        // or incompatible one is a 4xx and the serving model stays.
        app.MapPost("/v2/models", async (HttpContext http) =>
        {
            if (served.Hub is null || served.Deploy is not { } deploy) return RefuseNotReady();
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = ArtifactLimits.MaxFileBytes;
            byte[] bytes;
            using (var body = new MemoryStream())
            {
                await http.Request.Body.CopyToAsync(body, http.RequestAborted);
                bytes = body.ToArray();
            }
            var result = await deploy.DeployAsync(bytes, http.Request.Query["name"].FirstOrDefault(), http.RequestAborted);
            return result.Status is 200 or 201 ? Results.Json(result.Model, StreamSocket.Json, statusCode: result.Status) : Refuse(result.Status, Rejection.BadArtifact, result.Error!);
        })
            .WithName("Deploy").WithSummary("Deploys an artifact (the .hsa bytes): new streams get it, open ones finish on theirs")
            .Accepts<byte[]>("application/octet-stream")
            .Produces<ModelVersionInfo>(200).Produces<ModelVersionInfo>(201).Produces<ErrorResponse>(400).Produces<ErrorResponse>(409).Produces<ErrorResponse>(422);
        app.MapPost("/v2/models/{name}/rollback", async (HttpContext http, string name) =>
        {
            if (served.Hub is null || served.Deploy is not { } deploy) return RefuseNotReady();
            var result = await deploy.RollbackAsync(name, http.RequestAborted);
            return result.Status is 200 or 201 ? Results.Json(result.Model, StreamSocket.Json, statusCode: result.Status) : Refuse(result.Status, result.Status == 404 ? Rejection.NotFound : Rejection.BadArtifact, result.Error!);
        })
            .WithName("Rollback").WithSummary("Returns new streams to the model served before the current one")
            .Produces<ModelVersionInfo>(201).Produces<ErrorResponse>(404).Produces<ErrorResponse>(409);

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
                request = http.Request.ContentLength is 0 ? new OpenStreamRequest(null, null, null)
                    : await JsonSerializer.DeserializeAsync<OpenStreamRequest>(http.Request.Body, StreamSocket.Json, http.RequestAborted) ?? new OpenStreamRequest(null, null, null);
            }
            catch (JsonException e) { return Refuse(400, Rejection.BadRequest, $"malformed JSON body: {e.Message}"); }
            try
            {
                var s = await hub.OpenAsync(request, http.RequestAborted);
                var m = hub.Model;
                return Results.Json(new OpenStreamResponse(s.Id, m.Name, m.Version, s.Stream.Dimensions, m.Mesh.Network.Population(m.Mesh.Network.Output.Population).Size, $"/v2/streams/{s.Id}", s.Frames == FrameEncoding.MessagePack ? "msgpack" : "json"),
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

        app.MapGet("/v2/streams", () => served.Hub is { } hub ? Results.Json(hub.List(), StreamSocket.Json) : RefuseNotReady())
            .WithName("Streams").WithSummary("The open streams, oldest first: id, model, version, steps taken, state (opened, streaming, closing)")
            .Produces<StreamInfo[]>(200).Produces<ErrorResponse>(503);

        // Watching a stream takes nothing from it: the watcher gets a copy, bounded (the oldest dropped first).
        app.MapGet("/v2/streams/{id}/outputs", async (HttpContext http, string id) =>
        {
            if (served.Hub is not { } hub) { await RefuseNotReady().ExecuteAsync(http); return; }
            if (hub.Find(id) is not { } s) { await Refuse(404, Rejection.NotFound, $"no open stream '{id}'").ExecuteAsync(http); return; }
            using var watch = s.WatchOutputs(EventStream.Capacity);
            await EventStream.WriteAsync(http, watch.Outputs, o => new OutputEvent(o.Step, [.. o.Activity], o.Argmax), http.RequestAborted);
        })
            .WithName("StreamOutputs").WithSummary("Server-sent events: a copy of each output the stream's socket sends ({step, activity, argmax}); ends when the stream closes")
            .Produces<OutputEvent>(200, EventStream.ContentType).Produces<ErrorResponse>(404).Produces<ErrorResponse>(503);

        // The spike tap of the stream's own mesh: the population's cores send the stream's counts to a watcher, bounded.
        app.MapGet("/v2/streams/{id}/spikes", async (HttpContext http, string id) =>
        {
            if (served.Hub is not { } hub) { await RefuseNotReady().ExecuteAsync(http); return; }
            if (hub.Find(id) is not { } s) { await Refuse(404, Rejection.NotFound, $"no open stream '{id}'").ExecuteAsync(http); return; }
            var population = http.Request.Query["population"].FirstOrDefault();
            if (string.IsNullOrEmpty(population))
            {
                var quantized = s.Model.Mesh.Network.Populations.Where(p => p.IsQuantized).Select(p => p.Name);
                await Refuse(400, Rejection.BadRequest, $"spikes need ?population=NAME, one of the quantized populations: {string.Join(", ", quantized)}").ExecuteAsync(http);
                return;
            }
            Actors.Runtime.Session.SpikeWatch watch;
            try { watch = await s.Model.Deployment.WatchAsync(s.Stream, population, EventStream.Capacity, http.RequestAborted); }
            catch (ArgumentException e)
            {
                // The mesh's own message names the population and those there are (without .NET's parameter suffix).
                await Refuse(400, Rejection.BadRequest, e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message).ExecuteAsync(http);
                return;
            }
            catch (InvalidOperationException) { await Refuse(404, Rejection.NotFound, $"no open stream '{id}'").ExecuteAsync(http); return; }   // it closed meanwhile
            catch (Actors.Runtime.Session.StreamFailedException e) { await Error(503, e.Message).ExecuteAsync(http); return; }
            await using (watch)
                await EventStream.WriteAsync(http, watch.Counts, n => new SpikeEvent(n.Step, [.. n.Counts]), http.RequestAborted);
        })
            .WithName("StreamSpikes").WithSummary("Server-sent events: a quantized population's spike counts on the stream, a step at a time ({step, counts}); ends when the stream closes")
            .Produces<SpikeEvent>(200, EventStream.ContentType).Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).Produces<ErrorResponse>(503);

        app.MapGet("/v2/streams/{id}", async (HttpContext http, string id) =>
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

    /// <summary>Graceful stop: no new stream, open ones get <paramref name="deadline"/> to finish, then the mesh and the host stop.</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        await _hub.DrainAsync(deadline).ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _idle.DisposeAsync().ConfigureAwait(false);
        await _telemetry.DisposeAsync().ConfigureAwait(false);
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_coordinator is not null) await _coordinator.DisposeAsync().ConfigureAwait(false);   // leaves the cluster last
    }
}
