using System.Text.Json;
using HybridSpike.Core.Serving;
using HybridSpike.Training.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridSpike.Host.Trainer;

/// <summary>What a trainer does and where (the parsed <c>trainer</c> options).</summary>
/// <param name="Urls">Where it listens; 127.0.0.1 unless told otherwise (port 0: any free one).</param>
/// <param name="Jobs">The jobs' folder: one folder a job, read back when a trainer starts.</param>
/// <param name="DeployTo">The inference service (<c>hybridspike serve</c>) a job deploys to when it names none; null: only those that name one deploy.</param>
/// <param name="MaxQueued">Jobs waiting at once; one more is answered 429.</param>
internal sealed record TrainerOptions(string Urls, string Jobs, Uri? DeployTo, int MaxQueued);

/// <summary>
/// The training service: ASP.NET Core over a <see cref="JobStore"/> and a <see cref="JobRunner"/> (docs/trainer.md).
/// It trains in this process and never touches the mesh (no Akka.NET type is reached from here): the mesh and the
/// inference service stay free of libtorch, this one of Akka.
/// </summary>
internal sealed class TrainerApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrainerApp(WebApplication app, JobStore store, JobRunner runner)
    {
        _app = app;
        Store = store;
        Runner = runner;
    }

    internal JobStore Store { get; }

    internal JobRunner Runner { get; }

    /// <summary>The addresses it listens on (with the port chosen when the options asked for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    /// <summary>The logger category of the trainer's own events (jobs started, resumed, ended).</summary>
    internal const string LogCategory = "HybridSpike.Trainer";

    /// <summary>How long a client is asked to wait when the queue is full: about what a small job takes.</summary>
    internal const int RetryAfterSeconds = 30;

    /// <summary>
    /// Reads the jobs' folder (a job.json that cannot be read is reported on <paramref name="log"/> by its path and left
    /// alone), starts listening, then runs the unfinished jobs, resuming each from its checkpoint.
    /// </summary>
    public static async Task<TrainerApp> StartAsync(TrainerOptions options, TextWriter log, CancellationToken cancel, bool jsonLogs = false)
    {
        var store = JobStore.Open(options.Jobs, line => log.WriteLine("trainer: " + line));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        if (jsonLogs) Serve.JsonLogs.Use(builder, LogCategory);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, Serve.ServeLifetime>();
        // Event streams end when the runner stops; what still holds a connection then gets this long.
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        var runner = new JobRunner(store, options.MaxQueued, logger);
        Map(app, store, runner, options);
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
            var unfinished = store.All().Where(j => j.Info.State is JobState.Queued or JobState.Running).ToList();
            runner.Start(unfinished);
            var trainer = new TrainerApp(app, store, runner);
            log.WriteLine($"trainer: {store.All().Count} jobs in {store.Folder} ({unfinished.Count} to run) at {string.Join(", ", trainer.Addresses)}" +
                (options.DeployTo is { } to ? $", deploying to {to}" : "") + "; Ctrl-C stops");
            return trainer;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), StreamClient.Json, statusCode: status);

    private static IResult NoJob(string id) => Error(404, $"no job '{id}'");

    private static void Map(WebApplication app, JobStore store, JobRunner runner, TrainerOptions options)
    {
        app.MapOpenApi();
        app.MapGet("/v2/health/live", () => Results.Json(new { live = true }))
            .WithName("Live").WithSummary("The process is up").Produces(200);
        app.MapGet("/v2/health/ready", () => runner.Stopping ? Results.Json(new { ready = false }, statusCode: 503) : Results.Json(new { ready = true }))
            .WithName("Ready").WithSummary("Jobs are accepted (false once the trainer is stopping)").Produces(200).Produces(503);

        app.MapPost("/v2/jobs", async (HttpContext http) =>
        {
            JobSubmission? submission;
            try { submission = await JsonSerializer.DeserializeAsync<JobSubmission>(http.Request.Body, StreamClient.Json, http.RequestAborted); }
            catch (JsonException e) { return Error(400, $"malformed JSON body: {e.Message}"); }
            if (runner.Stopping) return Error(503, "the trainer is stopping: submit to it again once it restarts");
            TrainingConfig config;
            Uri? deployTo;
            try { (config, deployTo) = Accept(submission, options); }
            catch (Exception e) when (e is ConfigException or ArgumentException) { return Error(400, e.Message); }
            if (!runner.TryReserve())
            {
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Error(429, $"{options.MaxQueued} jobs are already waiting: retry later");
            }
            Job job;
            try { job = store.Create(config, deployTo); }
            catch { runner.Release(); throw; }
            // The job as made (queued): the runner may start it before the answer is written.
            var created = job.Info;
            runner.Enqueue(job);
            return Results.Json(created, StreamClient.Json, statusCode: 201);
        })
            .WithName("SubmitJob").WithSummary("Queues a training job: a config as in configs/*.json, optional overrides (epochs, trainLimit, testLimit) and where to deploy")
            .Accepts<JobSubmission>("application/json")
            .Produces<JobInfo>(201).Produces<ErrorResponse>(400).Produces<ErrorResponse>(429).Produces<ErrorResponse>(503);

        app.MapGet("/v2/jobs", () => Results.Json(store.All().Select(j => j.Info).ToArray(), StreamClient.Json))
            .WithName("Jobs").WithSummary("Every job, newest first").Produces<JobInfo[]>(200);

        app.MapGet("/v2/jobs/{id}", (string id) => store.Find(id) is { } job ? Results.Json(job.Info, StreamClient.Json) : NoJob(id))
            .WithName("Job").WithSummary("A job: its state, epoch, last progress, epochs, checkpoint, artifact and deployment").Produces<JobInfo>(200).Produces<ErrorResponse>(404);

        app.MapDelete("/v2/jobs/{id}", (string id) =>
        {
            if (store.Find(id) is not { } job) return NoJob(id);
            return job.Cancel() is { } refusal ? Error(409, refusal) : Results.Json(job.Info, StreamClient.Json, statusCode: 202);
        })
            .WithName("CancelJob").WithSummary("Cancels a job: a queued one at once, a running one at its next batch (its checkpoint is kept)")
            .Produces<JobInfo>(202).Produces<ErrorResponse>(404).Produces<ErrorResponse>(409);

        app.MapGet("/v2/jobs/{id}/events", async (HttpContext http, string id) =>
        {
            if (store.Find(id) is not { } job) { await NoJob(id).ExecuteAsync(http); return; }
            await StreamEventsAsync(http, job);
        })
            .WithName("JobEvents").WithSummary("Server-sent events: the job's history so far, then one event a batch (progress) and one a change of state")
            .Produces<JobEvent>(200, "text/event-stream").Produces<ErrorResponse>(404);
    }

    /// <summary>The submission's config with its overrides applied and validated (errors name the field), and where it deploys.</summary>
    internal static (TrainingConfig Config, Uri? DeployTo) Accept(JobSubmission? submission, TrainerOptions options)
    {
        if (submission is null || submission.Config.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("config: missing; the body's \"config\" must be a training config object, as a file of configs/ holds it");
        var config = TrainingConfigJson.Deserialize(submission.Config.GetRawText(), "config");
        if (submission.Epochs is { } epochs) config = config with { Training = config.Training with { Epochs = epochs } };
        if (submission.TrainLimit is { } train) config = config with { Data = config.Data with { TrainLimit = train } };
        if (submission.TestLimit is { } test) config = config with { Data = config.Data with { TestLimit = test } };
        if (config.Validate() is { Count: > 0 } errors) throw new ConfigException("config: " + string.Join("; ", errors));
        Uri? deployTo = submission.Deploy == false ? null
            : submission.Url is { } url ? Commands.Check.HttpAddress(url, "url")
            : options.DeployTo;
        if (submission.Deploy == true && deployTo is null)
            throw new ArgumentException("deploy: true needs a service to deploy to: give \"url\", or start the trainer with --url");
        return (config, deployTo);
    }

    /// <summary>
    /// A job's events as server-sent events: its history first, then each as it comes, until it ends (or the trainer
    /// stops). Its current state closes the stream, so that a client whose buffer dropped an event still learns how it ended.
    /// </summary>
    private static async Task StreamEventsAsync(HttpContext http, Job job)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var (history, live) = job.Subscribe();
        var cancel = http.RequestAborted;
        JobEvent? last = null;
        async Task Send(JobEvent e)
        {
            await http.Response.WriteAsync($"event: {e.Type}\ndata: {JsonSerializer.Serialize(e, StreamClient.Json)}\n\n", cancel);
            await http.Response.Body.FlushAsync(cancel);
            last = e;
        }
        try
        {
            foreach (var e in history) await Send(e);
            if (live is not null) await foreach (var e in live.Reader.ReadAllAsync(cancel)) await Send(e);
            var now = job.Info;
            if (last?.Job is not { } said || said.State != now.State) await Send(JobEvent.Of(now));
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        finally { job.Unsubscribe(live); }
    }

    public async Task StopAsync()
    {
        await Runner.StopAsync().ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Runner.Stopping) await Runner.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
