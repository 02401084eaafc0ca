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

namespace HybridSpike.Host.Serve;

/// <summary>What a service serves and how (the parsed <c>serve</c> options).</summary>
/// <param name="Urls">Where it listens; 127.0.0.1 unless told otherwise (port 0: any free one).</param>
/// <param name="Streams">Streams open at once: the resident mesh's slots.</param>
/// <param name="IdleTimeout">A stream nobody pushed to or read from for this long is closed, freeing its slot.</param>
/// <param name="Cluster">Spread the mesh over a cluster's nodes (this process joins as their coordinator); null: every core here.</param>
internal sealed record ServeOptions(string Model, Commands.CompileTarget Target, string Urls, int Streams, TimeSpan IdleTimeout, Commands.ClusterRequest? Cluster);

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

    private ServeApp(WebApplication app, StreamHub hub, Services.NodeService.Coordinator? coordinator)
    {
        _app = app;
        _hub = hub;
        _coordinator = coordinator;
        _idle = new Timer(_ => hub.CloseIdle(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The addresses it listens on (with the port chosen when the options asked for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    internal StreamHub Hub => _hub;

    /// <summary>Reads, validates and compiles the artifact (a bad one is refused before anything listens), then starts.</summary>
    public static async Task<ServeApp> StartAsync(ServeOptions options, TextWriter log, CancellationToken cancel)
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
        if (coordinator is not null) builder.Services.AddSingleton(coordinator.System);
        else builder.Services.AddMeshActorSystem(MeshHosting.LocalConfig());
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // The endpoints are mapped before the host starts (the routing pipeline is built then); until the mesh is
        // deployed they answer 503 and ready says false.
        var served = new Served();
        Map(app, served);
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
            var system = app.Services.GetRequiredService<ActorSystem>();
            var deployment = await MeshDeployment.StartAsync(system, mesh, new DeploymentOptions(options.Streams, run, false, null), cancel).ConfigureAwait(false);
            var name = Path.GetFileNameWithoutExtension(path) is "model" ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "model" : Path.GetFileNameWithoutExtension(path);
            var hub = new StreamHub(new ServedModel(name, digest, mesh, deployment), options.IdleTimeout);
            served.Deploy = new LiveDeployer(hub, system, profile, options, run);
            served.Hub = hub;
            var service = new ServeApp(app, hub, coordinator);
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
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), StreamSocket.Json, statusCode: status);

    private static readonly IResult NotReady = Error(503, "the model is being deployed: retry shortly");

    private static void Map(WebApplication app, Served served)
    {
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }));
        app.MapGet("/v2/health/ready", () => served.Hub is null ? Results.Json(new { ready = false }, statusCode: 503) : Results.Json(new { ready = true }));
        app.MapGet("/v2/models", () => served.Hub is { } hub ? Results.Json(hub.Versions(), StreamSocket.Json) : Results.Json(Array.Empty<ModelVersionInfo>()));

        // Live deployment: the body is an artifact (.hsa bytes). Validated and compiled before anything changes; a bad
        // or incompatible one is a 4xx and the serving model stays.
        app.MapPost("/v2/models", async (HttpContext http) =>
        {
            if (served.Hub is null || served.Deploy is not { } deploy) return NotReady;
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = ArtifactLimits.MaxFileBytes;
            byte[] bytes;
            using (var body = new MemoryStream())
            {
                await http.Request.Body.CopyToAsync(body, http.RequestAborted);
                bytes = body.ToArray();
            }
            var result = await deploy.DeployAsync(bytes, http.Request.Query["name"].FirstOrDefault(), http.RequestAborted);
            return result.Status is 200 or 201 ? Results.Json(result.Model, StreamSocket.Json, statusCode: result.Status) : Error(result.Status, result.Error!);
        });
        app.MapPost("/v2/models/{name}/rollback", async (HttpContext http, string name) =>
        {
            if (served.Hub is null || served.Deploy is not { } deploy) return NotReady;
            var result = await deploy.RollbackAsync(name, http.RequestAborted);
            return result.Status is 200 or 201 ? Results.Json(result.Model, StreamSocket.Json, statusCode: result.Status) : Error(result.Status, result.Error!);
        });
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (string name, string version) =>
            served.Hub is not { } hub ? NotReady
            : name == hub.Model.Name && version == hub.Model.Version ? Results.Json(new { ready = true })
            : Error(404, $"no model '{name}' version '{version}' (serving {hub.Model.Name} version {hub.Model.Version})"));

        app.MapPost("/v2/streams", async (HttpContext http) =>
        {
            if (served.Hub is not { } hub) return NotReady;
            OpenStreamRequest request;
            try
            {
                request = http.Request.ContentLength is 0 ? new OpenStreamRequest(null, null, null)
                    : await JsonSerializer.DeserializeAsync<OpenStreamRequest>(http.Request.Body, StreamSocket.Json, http.RequestAborted) ?? new OpenStreamRequest(null, null, null);
            }
            catch (JsonException e) { return Error(400, $"malformed JSON body: {e.Message}"); }
            try
            {
                var s = await hub.OpenAsync(request, http.RequestAborted);
                var m = hub.Model;
                return Results.Json(new OpenStreamResponse(s.Id, m.Name, m.Version, s.Stream.Dimensions, m.Mesh.Network.Population(m.Mesh.Network.Output.Population).Size, $"/v2/streams/{s.Id}", s.Frames == FrameEncoding.MessagePack ? "msgpack" : "json"),
                    StreamSocket.Json, statusCode: 201);
            }
            catch (ArgumentException e) { return Error(400, e.Message); }
            catch (NoFreeSlotException)
            {
                http.Response.Headers.RetryAfter = "1";
                return Error(429, $"all {hub.MaxStreams} stream slots are taken: retry later");
            }
            catch (ServiceStoppingException e) { return Error(503, e.Message); }
        });

        app.Map("/v2/streams/{id}", async (HttpContext http, string id) =>
        {
            if (served.Hub is not { } hub) { await NotReady.ExecuteAsync(http); return; }
            if (hub.Find(id) is not { } s) { await Error(404, $"no open stream '{id}'").ExecuteAsync(http); return; }
            if (!http.WebSockets.IsWebSocketRequest) { await Error(400, $"stream '{id}' is driven over a WebSocket: connect with ws://…/v2/streams/{id}").ExecuteAsync(http); return; }
            if (!s.TryAttach()) { await Error(409, $"stream '{id}' already has a socket").ExecuteAsync(http); return; }
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            await StreamSocket.RunAsync(socket, s, http.RequestAborted);
        });
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
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_coordinator is not null) await _coordinator.DisposeAsync().ConfigureAwait(false);   // leaves the cluster last
    }
}
