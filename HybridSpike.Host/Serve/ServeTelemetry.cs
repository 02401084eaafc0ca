using System.Collections.Immutable;
using System.Diagnostics;
using HybridSpike.Core.Serving;
using HybridSpike.Mapping.Telemetry;
using Microsoft.Extensions.Logging;

namespace HybridSpike.Host.Serve;

/// <summary>
/// The service's mesh telemetry, polled. A mesh gives its traffic only through a telemetry round over every core
/// (<see cref="Actors.Runtime.Deployment.MeshDeployment.CollectTelemetryAsync"/>: at a step boundary, and it resets the
/// counts), too dear per step; so every <see cref="Interval"/> each running mesh (the serving one and those retiring)
/// is asked once, and what it did since the last round is added to the totals and kept as the last interval's figures.
/// The counts, energy and links are Mapping's (<see cref="MeshTelemetry"/>); nothing is recomputed here.
/// </summary>
internal sealed class ServeTelemetry : IAsyncDisposable
{
    /// <summary>One model's counts since the service first saw it.</summary>
    private sealed class ModelTotals(long since)
    {
        public long Steps, Spikes, SynapticEvents, Packets, IntraChip, InterChip, Hops;
        public EnergyEstimate Energy = EnergyEstimate.Zero;
        public long LastCollected = since;
    }

    /// <summary>The serving model's last interval: its length, stream steps, spikes and packets per link.</summary>
    private sealed record LastInterval(ServedModel Model, double Seconds, long Steps, long Spikes, ImmutableArray<TelemetryLink> Links);

    /// <summary>A round that takes longer than this gives up on that mesh (a mesh that stopped answers no more).</summary>
    private static readonly TimeSpan RoundLimit = TimeSpan.FromSeconds(10);

    private readonly StreamHub _hub;
    private readonly ServeMetrics _metrics;
    private readonly object _gate = new();
    private readonly Dictionary<ServedModel, ModelTotals> _totals = new(ReferenceEqualityComparer.Instance);
    private readonly SemaphoreSlim _oneRound = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private LastInterval? _last;
    private Task _loop = Task.CompletedTask;

    public ServeTelemetry(StreamHub hub, TimeSpan interval, ServeMetrics metrics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _hub = hub;
        _metrics = metrics;
        Interval = interval;
        // A retiring mesh's counts since the last round would be lost when it stops: they are taken first.
        hub.Retired = model => CollectAsync([model], _stop.Token);
    }

    public TimeSpan Interval { get; }

    /// <summary>Starts polling every <see cref="Interval"/>.</summary>
    public void Start() => _loop = Task.Run(() => PollAsync(_stop.Token));

    private async Task PollAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try { await CollectAsync(_hub.Running(), stop).ConfigureAwait(false); }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    _hub.Log.LogWarning("telemetry round failed: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One round over <paramref name="models"/>: each mesh's counts since its last round, added to its totals.</summary>
    internal async Task CollectAsync(IReadOnlyList<ServedModel> models, CancellationToken cancel)
    {
        await _oneRound.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            foreach (var model in models)
            {
                MeshTelemetry t;
                using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel))
                {
                    limit.CancelAfter(RoundLimit);
                    try { t = await model.Deployment.CollectTelemetryAsync(1, 1, limit.Token).ConfigureAwait(false); }
                    catch (Exception e) when (!cancel.IsCancellationRequested && !ReferenceEquals(model, _hub.Model))
                    {
                        // A retiring mesh may stop between the listing and its round: it has nothing more to say.
                        _hub.Log.LogDebug("telemetry of retiring {Version}: {Error}", model.Version, e.Message);
                        continue;
                    }
                }
                Add(model, t, Stopwatch.GetTimestamp());
            }
        }
        finally { _oneRound.Release(); }
        Publish();
    }

    private void Add(ServedModel model, MeshTelemetry t, long now)
    {
        // Every core updates each of its units once per stream step it computes, and at a boundary every core has
        // computed the same steps: neuron updates ÷ the mesh's units are the stream steps the mesh ran.
        long units = model.Mesh.Cores.Sum(c => (long)c.Units);
        long steps = units == 0 ? 0 : t.NeuronUpdates / units;
        long hops = t.PerStep.Sum(s => s.HopsEastWest + s.HopsNorthSouth);
        lock (_gate)
        {
            if (!_totals.TryGetValue(model, out var m)) _totals[model] = m = new ModelTotals(now);
            double seconds = Stopwatch.GetElapsedTime(m.LastCollected, now).TotalSeconds;
            m.LastCollected = now;
            m.Steps += steps;
            m.Spikes += t.Spikes;
            m.SynapticEvents += t.SynapticEvents;
            m.Packets += t.Packets;
            m.IntraChip += t.IntraChipPackets;
            m.InterChip += t.InterChipPackets;
            m.Hops += hops;
            m.Energy += t.Energy;
            if (ReferenceEquals(model, _hub.Model) && seconds > 0)
                _last = new LastInterval(model, seconds, steps, t.Spikes,
                    [.. t.Links.OrderBy(l => l.FromY).ThenBy(l => l.FromX).ThenBy(l => l.ToY).ThenBy(l => l.ToX)
                        .Select(l => new TelemetryLink(l.FromX, l.FromY, l.ToX, l.ToY, l.CrossesChips, l.Packets / seconds))]);
        }
        _metrics.Collected(t.Spikes, t.SynapticEvents, t.IntraChipPackets, t.InterChipPackets, hops, t.Energy.TotalJoules);
    }

    private void Publish()
    {
        var now = Snapshot();
        _metrics.Rates(now.StepsPerSecond, now.SpikesPerSecond, now.EnergyPerInferenceJoules);
    }

    /// <summary>
    /// The serving model's energy per inference: its joules per stream step so far × its steps per sequence (over
    /// whole sequences, the energy model's joules ÷ sequences, as <c>simulate</c> reports it); null before its first
    /// step or when its sequence length is unknown.
    /// </summary>
    private double? EnergyPerInference(ServedModel model) =>
        _totals.TryGetValue(model, out var m) && m.Steps > 0 && model.StepsPerSequence is { } perSequence
            ? m.Energy.TotalJoules / m.Steps * perSequence
            : null;

    /// <summary>What <c>GET /v2/telemetry</c> answers now.</summary>
    public TelemetryResponse Snapshot()
    {
        var serving = _hub.Model;
        var layout = serving.Mesh.Profile.Layout;
        lock (_gate)
        {
            var last = _last is { } l && ReferenceEquals(l.Model, serving) ? l : null;
            var all = _totals.Values;
            var totals = new TelemetryTotals(all.Sum(m => m.Steps), all.Sum(m => m.Spikes), all.Sum(m => m.Packets), all.Sum(m => m.IntraChip),
                all.Sum(m => m.InterChip), all.Sum(m => m.Energy.TotalJoules));
            return new TelemetryResponse(new TelemetryModel(serving.Name, serving.Version), last?.Seconds ?? 0, _hub.OpenStreams,
                last is null ? 0 : last.Steps / last.Seconds, last is null ? 0 : last.Spikes / last.Seconds, EnergyPerInference(serving), totals,
                new TelemetryGrid(layout.ChipsX, layout.ChipsY, layout.CoresX, layout.CoresY, layout.Width, layout.Height),
                [.. serving.Mesh.Cores.Select(c => new TelemetryCore(c.X, c.Y, c.Population))],
                last is null ? [] : last.Links);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hub.Retired = null;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }
}
