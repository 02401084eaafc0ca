using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Telemetry;

/// <summary>
/// Whether one inference's traffic fits a real-time machine's steps (<see cref="RealTimeLimits"/>), from
/// a run's telemetry. SpiNNaker has no barrier: every core advances on its own 1 ms timer, so a step's
/// packets must pass each router and each link before the next tick, or real hardware delays them into
/// the next step or drops them. The model:
/// <list type="bullet">
/// <item>a step's demand on a link = its packets that step per inference ÷ the link's packets per second; or, on a
/// profile that gives the link in bits per second (<see cref="RealTimeLimits.LinkBitsPerSecond"/>, with
/// <see cref="HardwareProfile.Packets"/>), their bits ÷ its bits per second, each key-only packet (a +1) taking
/// the key-only size (SpiNNaker: 40 bits) and each payload packet the payload size (72 bits);</item>
/// <item>on a router = (packets its chip's cores inject + packets arriving on its links) ÷ its packets per second;</item>
/// <item>the step's demand is the largest of these (links and routers work in parallel; the busiest one sets the pace);</item>
/// <item>the peak load is the largest demand over the steps ÷ the step; above 1 the network cannot run in
/// real time, and <see cref="TimeScaleFactor"/> is how much slower it would have to run (sPyNNaker's
/// time_scale_factor), 1 when it fits;</item>
/// <item>packets over capacity: per step, per link and router, the packets beyond what fits in one step,
/// summed: what real hardware would delay or drop (on a link of mixed sizes, the bits beyond in packets of the
/// step's mean size there). The emulator itself drops nothing: spikes stay exact.</item>
/// </list>
/// Assumptions: packets are spread evenly over the step (no burst within a step is modelled); a router
/// handles one packet per unit of its throughput whatever the number of copies it makes (SpiNNaker
/// replicates a multicast packet onto its output links in one routing operation), and of any size (one per
/// clock cycle, TickySim's router model); the cores' own
/// processing time is not modelled. Figures and their sources: the profile JSON.
/// </summary>
/// <param name="DemandSecondsPerStep">Per step: the busiest link's or router's time to move that step's packets of one inference.</param>
/// <param name="BusiestLink">The link with the highest demand in the peak step (null when no packet crossed a link).</param>
/// <param name="BusiestRouter">The routing node with the highest demand in the peak step (null when no packet was sent).</param>
public sealed record RealTimeEstimate(
    RealTimeLimits Limits,
    ImmutableArray<double> DemandSecondsPerStep,
    double PeakLoad,
    int StepsOverBudget,
    double LinkPacketsOverCapacity,
    double RouterPacketsOverCapacity,
    Link? BusiestLink,
    Node? BusiestRouter,
    int ChipsInUse,
    int CoresInUse)
{
    /// <summary>
    /// One inference's static energy: every chip that holds a piece draws its idle power and every core
    /// in use its active power, for the whole inference as it would run: steps × step × time scale factor.
    /// </summary>
    public double StaticJoulesPerInference =>
        (ChipsInUse * Limits.IdleChipWatts + CoresInUse * Limits.ActiveCoreWatts) * DemandSecondsPerStep.Length * Limits.StepSeconds * TimeScaleFactor;

    /// <summary>How much slower than real time the network would have to run so that every step fits: max(1, peak load).</summary>
    public double TimeScaleFactor => Math.Max(1, PeakLoad);

    public bool FitsRealTime => PeakLoad <= 1;

    /// <summary>The estimate for a run on a profile with <see cref="HardwareProfile.RealTime"/>; null for a barrier-synchronized one.</summary>
    public static RealTimeEstimate? Of(CompiledMesh mesh, MeshTelemetry telemetry) =>
        mesh.Profile.RealTime is { } limits ? Of(mesh, telemetry, limits) : null;

    public static RealTimeEstimate Of(CompiledMesh mesh, MeshTelemetry telemetry, RealTimeLimits limits)
    {
        int steps = telemetry.Steps, streams = Math.Max(1, telemetry.Streams);
        var topology = mesh.Topology;
        var placements = mesh.Router.Placed.Placements;
        // Per routing node and step: packets injected there (each payload of a core once, whatever its
        // destinations: the router copies it) and packets arriving on its links.
        var routers = new Dictionary<Node, double[]>();
        double[] RouterAt(Node n) => routers.TryGetValue(n, out var a) ? a : routers[n] = new double[steps];
        foreach (var c in telemetry.Cores)
        {
            if (c.PacketsToPerStep.IsEmpty) continue;
            var at = RouterAt(topology.NodeOf(placements[c.Core].Core));
            for (int t = 0; t < steps; t++)
            {
                long injected = 0;
                foreach (var perStep in c.PacketsToPerStep.Values) injected = Math.Max(injected, perStep[t]);
                at[t] += (double)injected / streams;
            }
        }
        foreach (var l in telemetry.Links)
        {
            var at = RouterAt(l.Link.To);
            for (int t = 0; t < steps; t++) at[t] += (double)l.PacketsPerStep[t] / streams;
        }
        var linkStep = LinkStep(mesh.Profile, limits, streams);
        double routerCapacity = limits.RouterPacketsPerSecond * limits.StepSeconds;
        var demand = new double[steps];
        double linkOver = 0, routerOver = 0;
        int peakStep = 0;
        for (int t = 0; t < steps; t++)
        {
            foreach (var l in telemetry.Links)
            {
                var (seconds, beyond) = linkStep(l, t);
                demand[t] = Math.Max(demand[t], seconds);
                linkOver += beyond;
            }
            foreach (var (_, perStep) in routers)
            {
                demand[t] = Math.Max(demand[t], perStep[t] / limits.RouterPacketsPerSecond);
                routerOver += Math.Max(0, perStep[t] - routerCapacity);
            }
            if (demand[t] > demand[peakStep]) peakStep = t;
        }
        int over = demand.Count(d => d > limits.StepSeconds);
        Link? busiestLink = steps == 0 ? null : telemetry.Links.Where(l => l.PacketsPerStep[peakStep] > 0)
            .OrderByDescending(l => linkStep(l, peakStep).Seconds).Select(l => l.Link).FirstOrDefault();
        Node? busiestRouter = steps == 0 ? null : routers.Where(r => r.Value[peakStep] > 0).OrderByDescending(r => r.Value[peakStep])
            .ThenBy(r => r.Key.Y).ThenBy(r => r.Key.X).Select(r => r.Key).FirstOrDefault();
        double peak = steps == 0 ? 0 : demand[peakStep] / limits.StepSeconds;
        int chips = placements.Select(p => (p.Core.ChipX, p.Core.ChipY)).Distinct().Count();
        return new RealTimeEstimate(limits, [.. demand], peak, over, linkOver, routerOver, busiestLink, busiestRouter, chips, placements.Length);
    }

    /// <summary>
    /// A link at step t of one inference: its time to carry that step's packets, and the packets beyond what fits in a
    /// step. In packets per second, or in bits per second with each packet's size; then the bits beyond the step's
    /// capacity are counted in packets of the step's mean size on that link.
    /// </summary>
    private static Func<LinkLoad, int, (double Seconds, double PacketsBeyond)> LinkStep(HardwareProfile profile, RealTimeLimits limits, int streams)
    {
        if (limits.LinkPacketsPerSecond is { } packetsPerSecond)
        {
            double capacity = packetsPerSecond * limits.StepSeconds;
            return (l, t) =>
            {
                double p = (double)l.PacketsPerStep[t] / streams;
                return (p / packetsPerSecond, Math.Max(0, p - capacity));
            };
        }
        if (limits.LinkBitsPerSecond is { } bitsPerSecond && profile.Packets is { } format)
        {
            double capacity = bitsPerSecond * limits.StepSeconds;
            return (l, t) =>
            {
                long payload = l.PayloadPacketsPerStep[t], keyOnly = l.PacketsPerStep[t] - payload;
                double bits = ((double)keyOnly * format.KeyOnlyBits + (double)payload * format.PayloadBits) / streams;
                double p = (double)l.PacketsPerStep[t] / streams;
                return (bits / bitsPerSecond, bits > capacity ? p * (bits - capacity) / bits : 0);
            };
        }
        throw new ArgumentException($"profile '{profile.Name}': realTime gives neither linkPacketsPerSecond nor linkBitsPerSecond with packets", nameof(limits));
    }
}
