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
/// tests) keep their counts apart. The mesh's own counts (spikes, packets, energy) come from the telemetry poll
/// (<see cref="ServeTelemetry"/>), once an interval: the mesh gives them only through a round over every core.
/// </summary>
internal sealed class ServeMetrics
{
    private readonly Gauge _open;
    private readonly Gauge _queued;
    private readonly Gauge _recoveries;
    private readonly Gauge _model;
    private readonly Counter _rejected;
    private readonly Counter _spikes, _synaptic, _packets, _hops, _energy;
    private readonly Gauge _stepsPerSecond, _spikesPerSecond, _energyPerInference;

    public ServeMetrics()
    {
        var f = Metrics.WithCustomRegistry(Registry);
        _open = f.CreateGauge("hybridspike_serve_open_streams", "Streams open now");
        _queued = f.CreateGauge("hybridspike_serve_queued_steps", "Input steps pushed but not yet taken by the mesh, over all open streams");
        _recoveries = f.CreateGauge("hybridspike_serve_mesh_recoveries", "Lost cluster nodes the serving model's mesh has recovered from, with the same outputs (docs/cluster.md)");
        Steps = f.CreateCounter("hybridspike_serve_steps_total", "Input steps taken from clients, over all streams (its rate: steps/s)");
        Latency = f.CreateHistogram("hybridspike_serve_step_latency_seconds",
            "Per read step: from the service receiving the push frame that carries the step to sending the step's output frame",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _rejected = f.CreateCounter("hybridspike_serve_rejected_requests_total", "Requests refused, by HTTP status and reason", "status", "reason");
        _model = f.CreateGauge("hybridspike_serve_model_info", "The model served: 1 for its name and version", "name", "version");
        Streams = f.CreateCounter("hybridspike_serve_streams_opened_total", "Streams opened");
        _spikes = f.CreateCounter("hybridspike_serve_spikes_total", "Spikes (sum of |n| over the quantized units) of every mesh, from the telemetry poll");
        _synaptic = f.CreateCounter("hybridspike_serve_synaptic_events_total", "Nonzero payloads meeting a nonzero weight, every mesh");
        _packets = f.CreateCounter("hybridspike_serve_packets_total", "Packets sent (one nonzero payload to one destination core), by link class: within a chip or between chips", "link");
        _hops = f.CreateCounter("hybridspike_serve_hops_total", "Link traversals (packets x hops on the routes), every mesh");
        _energy = f.CreateCounter("hybridspike_serve_energy_joules_total", "The hardware profile's energy model over every mesh's counts (docs/telemetry.md)");
        _energyPerInference = f.CreateGauge("hybridspike_serve_energy_per_inference_joules",
            "The serving model's joules per stream step so far x its steps per sequence (NaN before its first step or when its sequence length is unknown)");
        _energyPerInference.Set(double.NaN);
        _stepsPerSecond = f.CreateGauge("hybridspike_serve_steps_per_second", "Stream steps the serving mesh ran per second over the last telemetry interval");
        _spikesPerSecond = f.CreateGauge("hybridspike_serve_spikes_per_second", "The serving mesh's spikes per second over the last telemetry interval");
    }

    /// <summary>Packets' link class label: within one chip, or between chips.</summary>
    internal const string WithinChip = "within_chip", BetweenChips = "between_chips";

    /// <summary>One mesh's counts of one telemetry round, added to the totals.</summary>
    public void Collected(long spikes, long synapticEvents, long intraChipPackets, long interChipPackets, long hops, double joules)
    {
        _spikes.Inc(spikes);
        _synaptic.Inc(synapticEvents);
        _packets.WithLabels(WithinChip).Inc(intraChipPackets);
        _packets.WithLabels(BetweenChips).Inc(interChipPackets);
        _hops.Inc(hops);
        _energy.Inc(joules);
    }

    /// <summary>The serving mesh's rates over the last interval and its energy estimate per inference (null: unknown).</summary>
    public void Rates(double stepsPerSecond, double spikesPerSecond, double? energyPerInference)
    {
        _stepsPerSecond.Set(stepsPerSecond);
        _spikesPerSecond.Set(spikesPerSecond);
        _energyPerInference.Set(energyPerInference ?? double.NaN);
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
            _recoveries.Set(hub.Model.Deployment.Recoveries.Count);
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
