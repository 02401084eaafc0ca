using Prometheus;

namespace HybridSpike.Host.Serve;

/// <summary>Why the service refused a request: the <c>reason</c> label of the rejected-requests counter.</summary>
internal enum Rejection
{
    /// <summary>429: every stream slot is taken.</summary>
    NoFreeSlot,
    /// <summary>400: a malformed body or bad stream options.</summary>
    BadRequest,
    /// <summary>503: the model is still being deployed.</summary>
    NotReady,
    /// <summary>503: the service is shutting down.</summary>
    Stopping,
    /// <summary>404: no such stream or model version.</summary>
    NotFound,
    /// <summary>400: a plain HTTP request to a stream's WebSocket address.</summary>
    NotAWebSocket,
    /// <summary>409: the stream already has a socket.</summary>
    AlreadyAttached,
    /// <summary>4xx: a deployment refused (a bad artifact, one that does not fit or does not compile, no version to roll back to).</summary>
    BadArtifact,
}

/// <summary>
/// The service's Prometheus metrics (<c>/metrics</c>), in a registry of its own: two services in one process (the
/// tests) keep their counts apart. Spikes are not counted: the mesh gives them only through a telemetry round over
/// every core, too dear per step.
/// </summary>
internal sealed class ServeMetrics
{
    private readonly Gauge _open;
    private readonly Gauge _queued;
    private readonly Gauge _model;
    private readonly Counter _rejected;

    public ServeMetrics()
    {
        var f = Metrics.WithCustomRegistry(Registry);
        _open = f.CreateGauge("hybridspike_serve_open_streams", "Streams open now");
        _queued = f.CreateGauge("hybridspike_serve_queued_steps", "Input steps pushed but not yet taken by the mesh, over all open streams");
        Steps = f.CreateCounter("hybridspike_serve_steps_total", "Input steps taken from clients, over all streams (its rate: steps/s)");
        Latency = f.CreateHistogram("hybridspike_serve_step_latency_seconds",
            "Per read step: from the service receiving the push frame that carries the step to sending the step's output frame",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _rejected = f.CreateCounter("hybridspike_serve_rejected_requests_total", "Requests refused, by HTTP status and reason", "status", "reason");
        _model = f.CreateGauge("hybridspike_serve_model_info", "The model served: 1 for its name and version", "name", "version");
        Streams = f.CreateCounter("hybridspike_serve_streams_opened_total", "Streams opened");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Counter Steps { get; }

    public Counter Streams { get; }

    public Histogram Latency { get; }

    /// <summary>Once the model is deployed: its version gauge, and the open streams and queue read from the hub at each scrape.</summary>
    public void Serving(StreamHub hub)
    {
        // The serving model at each scrape: a live deployment changes it (the gauge keeps one label set, the current one).
        (string Name, string Version)? shown = null;
        void Show()
        {
            var now = (hub.Model.Name, hub.Model.Version);
            if (shown == now) return;
            if (shown is { } old) _model.RemoveLabelled(old.Name, old.Version);
            _model.WithLabels(now.Name, now.Version).Set(1);
            shown = now;
        }
        Show();
        Registry.AddBeforeCollectCallback(() =>
        {
            _open.Set(hub.OpenStreams);
            _queued.Set(hub.QueuedSteps);
            lock (_model) Show();
        });
    }

    public void Rejected(int status, Rejection reason) =>
        _rejected.WithLabels(status.ToString(System.Globalization.CultureInfo.InvariantCulture), Label(reason)).Inc();

    private static string Label(Rejection reason) => reason switch
    {
        Rejection.NoFreeSlot => "no_free_slot",
        Rejection.BadRequest => "bad_request",
        Rejection.NotReady => "not_ready",
        Rejection.Stopping => "stopping",
        Rejection.NotFound => "not_found",
        Rejection.NotAWebSocket => "not_a_websocket",
        Rejection.AlreadyAttached => "already_attached",
        _ => reason.ToString(),
    };
}
