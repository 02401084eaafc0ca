using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Telemetry;

/// <summary>
/// What one core did over a run (all streams), step by step; every total is the sum of its steps.
/// One packet = one nonzero payload sent to one destination core. Definitions: docs/telemetry.md.
/// </summary>
/// <param name="Core">The core's place in the compiled mesh's placements (<see cref="CompiledMesh.Cores"/> order), as are the keys of <paramref name="PacketsToPerStep"/>.</param>
/// <param name="SynapticEventsPerStep">Per step: nonzero payloads meeting a nonzero weight of this core.</param>
/// <param name="NeuronUpdatesPerStep">Per step: units updated (the core's units × streams).</param>
/// <param name="SpikesPerStep">Per step: Σ|n| over the core's units (quantized populations; 0 otherwise).</param>
/// <param name="PacketsReceivedPerStep">Per step t: packets of step t that reached this core (including its own, for a recurrence).</param>
/// <param name="PacketsToPerStep">Per destination core, per step: packets this core sent there.</param>
/// <param name="PayloadPacketsToPerStep">
/// Per destination core (the keys of <paramref name="PacketsToPerStep"/>), per step: of the packets sent there, those
/// whose payload is not +1, so must carry it (72 bits on SpiNNaker); the rest are plain spikes, whose key alone says
/// which unit fired (40 bits). Only a profile with <see cref="HardwareProfile.Packets"/> charges them differently.
/// </param>
public sealed record CoreTraffic(
    int Core,
    ImmutableArray<long> SynapticEventsPerStep,
    ImmutableArray<long> NeuronUpdatesPerStep,
    ImmutableArray<long> SpikesPerStep,
    ImmutableArray<long> PacketsReceivedPerStep,
    ImmutableDictionary<int, ImmutableArray<long>> PacketsToPerStep,
    ImmutableDictionary<int, ImmutableArray<long>> PayloadPacketsToPerStep)
{
    public int Steps => SynapticEventsPerStep.Length;
    public long SynapticEvents => Sum(SynapticEventsPerStep);
    public long NeuronUpdates => Sum(NeuronUpdatesPerStep);
    public long Spikes => Sum(SpikesPerStep);
    public long PacketsReceived => Sum(PacketsReceivedPerStep);
    public long PacketsSent => PacketsToPerStep.Values.Sum(Sum);
    /// <summary>Of <see cref="PacketsSent"/>, those that carry a payload (a count other than +1).</summary>
    public long PayloadPacketsSent => PayloadPacketsToPerStep.Values.Sum(Sum);
    /// <summary>Of <see cref="PacketsSent"/>, the plain spikes (+1), which need only a key.</summary>
    public long KeyOnlyPacketsSent => PacketsSent - PayloadPacketsSent;

    /// <summary>Per step: packets sent to all destinations (computed on each call).</summary>
    public ImmutableArray<long> PacketsSentPerStep => SumPerStep(PacketsToPerStep);

    /// <summary>Per step: payload packets sent to all destinations (computed on each call).</summary>
    public ImmutableArray<long> PayloadPacketsSentPerStep => SumPerStep(PayloadPacketsToPerStep);

    private ImmutableArray<long> SumPerStep(ImmutableDictionary<int, ImmutableArray<long>> perDestination)
    {
        var sent = new long[Steps];
        foreach (var perStep in perDestination.Values)
            for (int t = 0; t < sent.Length; t++) sent[t] += perStep[t];
        return [.. sent];
    }

    /// <summary>Per destination core: packets sent there over the run.</summary>
    public ImmutableDictionary<int, long> PacketsTo => PacketsToPerStep.ToImmutableDictionary(kv => kv.Key, kv => Sum(kv.Value));

    /// <summary>One core's traffic over several runs of the same length (batches of streams): every count added step by step.</summary>
    public static CoreTraffic Add(IReadOnlyList<CoreTraffic> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("no traffic to add", nameof(runs));
        var first = runs[0];
        if (runs.FirstOrDefault(r => r.Core != first.Core || r.Steps != first.Steps) is { } other)
            throw new ArgumentException($"traffic of core {other.Core} over {other.Steps} steps cannot be added to core {first.Core}'s over {first.Steps}");
        ImmutableArray<long> PerStep(Func<CoreTraffic, ImmutableArray<long>?> of)
        {
            var sum = new long[first.Steps];
            foreach (var r in runs)
                if (of(r) is { } a)
                    for (int t = 0; t < sum.Length; t++) sum[t] += a[t];
            return [.. sum];
        }
        var destinations = runs.SelectMany(r => r.PacketsToPerStep.Keys).Distinct().Order().ToList();
        return new CoreTraffic(first.Core, PerStep(r => r.SynapticEventsPerStep), PerStep(r => r.NeuronUpdatesPerStep), PerStep(r => r.SpikesPerStep),
            PerStep(r => r.PacketsReceivedPerStep),
            destinations.ToImmutableDictionary(d => d, d => PerStep(r => r.PacketsToPerStep.TryGetValue(d, out var a) ? a : null)),
            destinations.ToImmutableDictionary(d => d, d => PerStep(r => r.PayloadPacketsToPerStep.TryGetValue(d, out var a) ? a : null)));
    }

    private static long Sum(ImmutableArray<long> values)
    {
        long s = 0;
        foreach (var v in values) s += v;
        return s;
    }
}

/// <summary>Packets over one directed link of the mesh, in total and per step.</summary>
/// <param name="Direction">"E", "W", "N" or "S" (north is towards y − 1; <see cref="Link.Direction"/>).</param>
/// <param name="CrossesChips">The link joins two chips.</param>
/// <param name="PayloadPackets">Of <paramref name="Packets"/>, those that carry a payload (<see cref="CoreTraffic.PayloadPacketsToPerStep"/>).</param>
/// <param name="PayloadPacketsPerStep">Of <paramref name="PacketsPerStep"/>, those that carry a payload.</param>
public sealed record LinkLoad(int FromX, int FromY, int ToX, int ToY, string Direction, long Packets, bool CrossesChips, ImmutableArray<long> PacketsPerStep,
    long PayloadPackets, ImmutableArray<long> PayloadPacketsPerStep)
{
    public double MeanPacketsPerStep => PacketsPerStep.IsDefaultOrEmpty ? 0 : (double)Packets / PacketsPerStep.Length;
    public long PeakPacketsPerStep => PacketsPerStep.IsDefaultOrEmpty ? 0 : PacketsPerStep.Max();
    /// <summary>The first step with <see cref="PeakPacketsPerStep"/> packets.</summary>
    public int PeakStep => PacketsPerStep.IsDefaultOrEmpty ? 0 : PacketsPerStep.IndexOf(PeakPacketsPerStep);
    public Link Link => new(FromX, FromY, ToX, ToY);
}

/// <summary>
/// Packets passing routers, for the energy model: each packet at its source router (<paramref name="Packets"/>) and
/// each link traversal by direction (hops), each with the share that carries a payload (a count other than +1).
/// </summary>
public sealed record RouterPasses(long Packets, long PayloadPackets, long HopsEastWest, long PayloadHopsEastWest, long HopsNorthSouth, long PayloadHopsNorthSouth);

/// <summary>The energy model's terms (joules): every count times its cost in the profile (<see cref="OperationCosts"/>, <see cref="PacketFormat"/>).</summary>
public sealed record EnergyEstimate(double SynapticOpsJoules, double NeuronUpdatesJoules, double SpikesInTileJoules, double HopsJoules)
{
    public double TotalJoules => SynapticOpsJoules + NeuronUpdatesJoules + SpikesInTileJoules + HopsJoules;

    /// <summary>
    /// The one definition: synaptic events × E_syn + neuron updates × E_neuron + packets × E_spike-in-tile + hops × E_hop
    /// (east-west, north-south). Without <paramref name="format"/> every packet costs alike (<paramref name="costs"/>'
    /// figures); with it (a profile whose plain spikes travel key-only) the payload packets and hops cost
    /// <paramref name="costs"/>' figures and the key-only ones (all minus the payload ones) <paramref name="format"/>'s.
    /// </summary>
    public static EnergyEstimate Of(OperationCosts costs, PacketFormat? format, long synapticEvents, long neuronUpdates, RouterPasses passes)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(passes);
        double Charge(long all, long payload, double payloadJoules, Func<PacketFormat, double> keyOnlyJoules) =>
            format is null ? all * payloadJoules : payload * payloadJoules + (all - payload) * keyOnlyJoules(format);
        return new(
            synapticEvents * costs.SynapticOpJoules,
            neuronUpdates * costs.NeuronUpdateJoules,
            Charge(passes.Packets, passes.PayloadPackets, costs.SpikeInTileJoules, f => f.KeyOnlySpikeInTileJoules),
            Charge(passes.HopsEastWest, passes.PayloadHopsEastWest, costs.HopEastWestJoules, f => f.KeyOnlyHopEastWestJoules)
                + Charge(passes.HopsNorthSouth, passes.PayloadHopsNorthSouth, costs.HopNorthSouthJoules, f => f.KeyOnlyHopNorthSouthJoules));
    }

    public static EnergyEstimate operator +(EnergyEstimate a, EnergyEstimate b) => new(
        a.SynapticOpsJoules + b.SynapticOpsJoules, a.NeuronUpdatesJoules + b.NeuronUpdatesJoules, a.SpikesInTileJoules + b.SpikesInTileJoules, a.HopsJoules + b.HopsJoules);

    public static EnergyEstimate Zero { get; } = new(0, 0, 0, 0);
}

/// <summary>The time model's terms for one step of one inference (seconds).</summary>
/// <param name="SerializationSeconds">The step's busiest link: its packets per stream × its hop latency.</param>
/// <param name="RouteSeconds">The slowest route that carried a packet this step: Σ of its links' hop latencies.</param>
/// <param name="BarrierSeconds">The profile's barrier, once per step.</param>
public sealed record TimeEstimate(double SerializationSeconds, double RouteSeconds, double BarrierSeconds)
{
    public double TotalSeconds => SerializationSeconds + RouteSeconds + BarrierSeconds;
}

/// <summary>
/// One step of a run over all cores and streams: counts as in <see cref="CoreTraffic"/>, packets
/// within and between chips, link traversals by direction (packets × hops), the energy of the step
/// and the time estimate of the step (per inference), and the step's busiest link.
/// </summary>
/// <param name="BusiestLink">The link with the most packets this step (ties: the first in <see cref="MeshTelemetry.Links"/>); null when no packet used a link.</param>
/// <param name="PayloadPacketsSent">Of <paramref name="PacketsSent"/>, those that carry a payload (a count other than +1).</param>
public sealed record StepTraffic(
    int Step,
    long Spikes,
    long PacketsSent,
    long PacketsReceived,
    long SynapticEvents,
    long NeuronUpdates,
    long IntraChipPackets,
    long InterChipPackets,
    long HopsEastWest,
    long HopsNorthSouth,
    EnergyEstimate Energy,
    TimeEstimate Time,
    Link? BusiestLink,
    long BusiestLinkPackets,
    long PayloadPacketsSent);

/// <summary>
/// Traffic, energy and time of a mesh run, from the cores' per-step counts and the compiled router's
/// decisions (<see cref="CompiledMesh.Router"/>): per step (<see cref="PerStep"/>) and in total (from
/// the cores' totals; equal to the sums of the steps). Every definition is here and in docs/telemetry.md:
/// <list type="bullet">
/// <item>packets to a destination travel its path in the source's <see cref="RouteDecision"/>
/// (X then Y on Loihi): counted per hop count and within a chip or between chips (the path's ends on
/// different chips) per destination; per link by the decision's link traversals (<see cref="RouteDecision.Links"/>:
/// per destination copy when unicast, once per packet on the multicast tree);</item>
/// <item>energy (<see cref="EnergyEstimate.Of"/>) = synaptic events × E_syn + neuron updates × E_neuron +
/// packets sent × E_spike-in-tile + link traversals × E_hop of their direction; on a profile with
/// <see cref="HardwareProfile.Packets"/>, key-only packets (+1) and their traversals at its key-only costs;</item>
/// <item>time of step t per inference (<see cref="TimeEstimate"/>) = the step's busiest link's packets ÷
/// streams × its hop latency + the slowest route used that step (Σ hop latencies) + the barrier;
/// the run's time per inference is the sum over the steps.</item>
/// </list>
/// </summary>
public sealed record MeshTelemetry(
    int Streams,
    int Steps,
    ImmutableArray<CoreTraffic> Cores,
    ImmutableArray<LinkLoad> Links,
    ImmutableArray<StepTraffic> PerStep,
    ImmutableSortedDictionary<int, long> HopHistogram,
    long IntraChipPackets,
    long InterChipPackets,
    EnergyEstimate Energy)
{
    public long SynapticEvents => Cores.Sum(c => c.SynapticEvents);
    public long NeuronUpdates => Cores.Sum(c => c.NeuronUpdates);
    public long Spikes => Cores.Sum(c => c.Spikes);
    public long Packets => Cores.Sum(c => c.PacketsSent);
    /// <summary>Of <see cref="Packets"/>, those that carry a payload (a count other than +1).</summary>
    public long PayloadPackets => Cores.Sum(c => c.PayloadPacketsSent);
    public long PacketsReceived => Cores.Sum(c => c.PacketsReceived);
    /// <summary>The link with the most packets over the run (ties: the first in <see cref="Links"/>); null when no packet used a link.</summary>
    public LinkLoad? BusiestLink => Links.IsEmpty || Links[0].Packets == 0 ? null : Links[0];
    public double EnergyJoules => Energy.TotalJoules;
    public double EnergyPerInference => Streams == 0 ? 0 : EnergyJoules / Streams;
    /// <summary>One inference's time: the sum of the steps' estimates.</summary>
    public double SecondsPerInference => PerStep.Sum(s => s.Time.TotalSeconds);
    /// <summary>The mean of the steps' time estimates.</summary>
    public double SecondsPerStep => Steps == 0 ? 0 : SecondsPerInference / Steps;

    /// <summary>The telemetry of several runs of the same mesh and length (batches of streams) as one run of all their streams.</summary>
    public static MeshTelemetry Combine(CompiledMesh mesh, IReadOnlyList<MeshTelemetry> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to combine", nameof(runs));
        if (runs.FirstOrDefault(r => r.Steps != runs[0].Steps) is { } other)
            throw new ArgumentException($"runs of {runs[0].Steps} and {other.Steps} steps cannot be combined");
        var cores = runs.SelectMany(r => r.Cores).GroupBy(c => c.Core).Select(g => CoreTraffic.Add([.. g]));
        return From(mesh, runs.Sum(r => r.Streams), runs[0].Steps, cores);
    }

    public static MeshTelemetry From(CompiledMesh mesh, int streams, int steps, IEnumerable<CoreTraffic> cores)
    {
        var profile = mesh.Profile;
        var costs = profile.Costs;
        var coreList = cores.OrderBy(c => c.Core).ToImmutableArray();
        foreach (var c in coreList)
            if (c.Steps != steps || c.NeuronUpdatesPerStep.Length != steps || c.SpikesPerStep.Length != steps || c.PacketsReceivedPerStep.Length != steps
                || c.PacketsToPerStep.Values.Any(a => a.Length != steps) || c.PayloadPacketsToPerStep.Values.Any(a => a.Length != steps))
                throw new ArgumentException($"core {c.Core}: its per-step counts do not all cover the run's {steps} steps");
        foreach (var c in coreList)
        {
            // The payload packets are a share of the packets: the same destinations, never more at any step.
            if (!c.PayloadPacketsToPerStep.Keys.Order().SequenceEqual(c.PacketsToPerStep.Keys.Order()))
                throw new ArgumentException($"core {c.Core}: payload packets to cores [{string.Join(", ", c.PayloadPacketsToPerStep.Keys.Order())}], packets to [{string.Join(", ", c.PacketsToPerStep.Keys.Order())}]: not the same destinations");
            foreach (var (to, packets) in c.PacketsToPerStep)
                for (int t = 0; t < steps; t++)
                {
                    long payload = c.PayloadPacketsToPerStep[to][t];
                    if (payload < 0 || payload > packets[t])
                        throw new ArgumentException($"core {c.Core}: {payload} payload packets to core {to} at step {t}, of {packets[t]} packets");
                }
        }

        var topology = mesh.Topology;
        double Latency(Link l) => l.IsEastWest ? costs.HopEastWestSeconds : costs.HopNorthSouthSeconds;

        // What the router decided for each source core's packets, counted with the packets each destination was sent:
        // per delivery (hops, chip crossing, route latency) and per link traversal (link loads, hops by direction).
        var linkIndex = new Dictionary<Link, int>();
        var linkList = new List<Link>();
        int LinkId(Link l)
        {
            if (!linkIndex.TryGetValue(l, out var id)) { id = linkIndex[l] = linkList.Count; linkList.Add(l); }
            return id;
        }
        var deliveries = new List<(Delivery Delivery, double Seconds, long Packets, ImmutableArray<long> PerStep)>();
        var traversals = new List<(int Link, long Packets, ImmutableArray<long> PerStep, long PayloadPackets, ImmutableArray<long> PayloadPerStep)>();
        foreach (var c in coreList)
        {
            var decision = mesh.Router.Resolve(c.Core);
            var sent = new ImmutableArray<long>[decision.Deliveries.Length];
            var payload = new ImmutableArray<long>[decision.Deliveries.Length];
            var position = Enumerable.Range(0, decision.Deliveries.Length).ToDictionary(i => decision.Deliveries[i].Core);
            foreach (var (to, toPerStep) in c.PacketsToPerStep.OrderBy(kv => kv.Key))
            {
                int i = position.GetValueOrDefault(to, -1);
                // A core's packets to itself cross no link, in any topology, whether or not it is in its own delivery set.
                var d = i >= 0 ? decision.Deliveries[i]
                    : to == c.Core ? new Delivery(to, [], false)
                    : throw new InvalidOperationException($"core {c.Core} sent packets to core {to}, which its route decision does not deliver to");
                if (i >= 0) (sent[i], payload[i]) = (toPerStep, c.PayloadPacketsToPerStep[to]);
                deliveries.Add((d, d.Path.Sum(Latency), toPerStep.Sum(), toPerStep));
            }
            // A copy on a link carries the packets of the destinations it heads to: one for unicast; for multicast
            // the most any of them was sent (each payload goes to every destination, so they are all equal). The payload
            // packets among them likewise: every packet of a core follows the same tree.
            foreach (var use in decision.Links)
            {
                var towards = use.Towards.Where(i => !sent[i].IsDefault).ToList();
                if (towards.Count == 0) continue;
                ImmutableArray<long> Load(ImmutableArray<long>[] of) =>
                    towards.Count == 1 ? of[towards[0]] : [.. Enumerable.Range(0, steps).Select(t => towards.Max(i => of[i][t]))];
                var (load, payloadLoad) = (Load(sent), Load(payload));
                traversals.Add((LinkId(use.Link), load.Sum(), load, payloadLoad.Sum(), payloadLoad));
            }
        }

        // Totals, from the totals.
        var hops = new Dictionary<int, long>();
        long intra = 0, inter = 0, hopsEW = 0, hopsNS = 0, payloadEW = 0, payloadNS = 0;
        var linkTotals = new long[linkList.Count];
        var linkPayloadTotals = new long[linkList.Count];
        foreach (var f in deliveries)
        {
            hops[f.Delivery.Hops] = hops.GetValueOrDefault(f.Delivery.Hops) + f.Packets;
            if (f.Delivery.CrossesChips) inter += f.Packets; else intra += f.Packets;
        }
        foreach (var u in traversals)
        {
            linkTotals[u.Link] += u.Packets;
            linkPayloadTotals[u.Link] += u.PayloadPackets;
            if (linkList[u.Link].IsEastWest) { hopsEW += u.Packets; payloadEW += u.PayloadPackets; }
            else { hopsNS += u.Packets; payloadNS += u.PayloadPackets; }
        }
        var energy = EnergyEstimate.Of(costs, profile.Packets, coreList.Sum(c => c.SynapticEvents), coreList.Sum(c => c.NeuronUpdates),
            new RouterPasses(coreList.Sum(c => c.PacketsSent), coreList.Sum(c => c.PayloadPacketsSent), hopsEW, payloadEW, hopsNS, payloadNS));

        // Per step, from the per-step counts.
        var linkPerStep = new long[linkList.Count, steps];
        var linkPayloadPerStep = new long[linkList.Count, steps];
        foreach (var u in traversals)
            for (int t = 0; t < steps; t++)
            {
                linkPerStep[u.Link, t] += u.PerStep[t];
                linkPayloadPerStep[u.Link, t] += u.PayloadPerStep[t];
            }
        var links = Enumerable.Range(0, linkList.Count)
            .Select(id => new LinkLoad(linkList[id].FromX, linkList[id].FromY, linkList[id].ToX, linkList[id].ToY, topology.Direction(linkList[id]), linkTotals[id],
                topology.CrossesChips(linkList[id]), [.. Enumerable.Range(0, steps).Select(t => linkPerStep[id, t])],
                linkPayloadTotals[id], [.. Enumerable.Range(0, steps).Select(t => linkPayloadPerStep[id, t])]))
            .OrderByDescending(l => l.Packets).ThenBy(l => l.FromX).ThenBy(l => l.FromY).ThenBy(l => l.ToX).ThenBy(l => l.ToY)
            .ToImmutableArray();
        var perStep = ImmutableArray.CreateBuilder<StepTraffic>(steps);
        for (int t = 0; t < steps; t++)
        {
            long stepIntra = 0, stepInter = 0, stepEW = 0, stepNS = 0, stepPayloadEW = 0, stepPayloadNS = 0;
            double route = 0;
            foreach (var f in deliveries)
            {
                long p = f.PerStep[t];
                if (p == 0) continue;
                if (f.Delivery.CrossesChips) stepInter += p; else stepIntra += p;
                route = Math.Max(route, f.Seconds);
            }
            foreach (var u in traversals)
                if (linkList[u.Link].IsEastWest) { stepEW += u.PerStep[t]; stepPayloadEW += u.PayloadPerStep[t]; }
                else { stepNS += u.PerStep[t]; stepPayloadNS += u.PayloadPerStep[t]; }
            LinkLoad? busiest = null;
            long busiestPackets = 0;
            foreach (var l in links)
                if (l.PacketsPerStep[t] > busiestPackets) { busiest = l; busiestPackets = l.PacketsPerStep[t]; }
            double serialization = busiest is null || streams == 0 ? 0 : (double)busiestPackets / streams * Latency(busiest.Link);
            long sent = 0, payloadSent = 0, received = 0, synaptic = 0, updates = 0, spikes = 0;
            foreach (var c in coreList)
            {
                foreach (var a in c.PacketsToPerStep.Values) sent += a[t];
                foreach (var a in c.PayloadPacketsToPerStep.Values) payloadSent += a[t];
                received += c.PacketsReceivedPerStep[t];
                synaptic += c.SynapticEventsPerStep[t];
                updates += c.NeuronUpdatesPerStep[t];
                spikes += c.SpikesPerStep[t];
            }
            perStep.Add(new StepTraffic(t, spikes, sent, received, synaptic, updates, stepIntra, stepInter, stepEW, stepNS,
                EnergyEstimate.Of(costs, profile.Packets, synaptic, updates, new RouterPasses(sent, payloadSent, stepEW, stepPayloadEW, stepNS, stepPayloadNS)),
                new TimeEstimate(serialization, route, costs.BarrierSeconds), busiest?.Link, busiestPackets, payloadSent));
        }
        return new MeshTelemetry(streams, steps, coreList, links, perStep.MoveToImmutable(), hops.ToImmutableSortedDictionary(), intra, inter, energy);
    }

    /// <summary>A link joins two chips when its ends lie on different chips of the layout (<see cref="Mesh2D.CrossesChips"/>).</summary>
    public static bool CrossesChips(MeshLayout layout, Link l) => new Mesh2D(layout).CrossesChips(l);
}
