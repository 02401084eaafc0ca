using System.Collections.Immutable;
using HybridSpike.Actors.Compile;
using HybridSpike.Actors.Profiles;

namespace HybridSpike.Actors.Telemetry;

/// <summary>What one core did over a run (all streams). One packet = one nonzero payload sent to one destination core.</summary>
/// <param name="Core">The core's place in the compiled mesh's placements (<see cref="CompiledMesh.Cores"/> order), as are the keys of <paramref name="PacketsTo"/>.</param>
public sealed record CoreTraffic(
    int Core,
    long SynapticEvents,
    long NeuronUpdates,
    long Spikes,
    long PacketsSent,
    long PacketsReceived,
    ImmutableArray<long> PacketsSentPerStep,
    ImmutableDictionary<int, long> PacketsTo);

/// <summary>Packets over one directed link of the mesh.</summary>
public sealed record LinkLoad(int FromX, int FromY, int ToX, int ToY, string Direction, long Packets);

/// <summary>
/// Traffic, energy and time of a mesh run, from the cores' counts and the compiled routes:
/// synaptic events (a nonzero payload meeting a nonzero weight), neuron updates, spikes (Σ|n|),
/// packets per core and per link, hop histogram, intra- against inter-chip packets, an energy
/// estimate (synaptic ops, neuron updates, spikes within a tile, hops east-west and north-south at
/// the profile's costs) and a time estimate per step (busiest link's packets × its hop latency, plus
/// the longest route's hops × hop latency, plus the barrier). Definitions: docs/mesh.md.
/// </summary>
public sealed record MeshTelemetry(
    int Streams,
    int Steps,
    ImmutableArray<CoreTraffic> Cores,
    ImmutableArray<LinkLoad> Links,
    ImmutableDictionary<int, long> HopHistogram,
    long IntraChipPackets,
    long InterChipPackets,
    double EnergyJoules,
    double SecondsPerStep)
{
    public long SynapticEvents => Cores.Sum(c => c.SynapticEvents);
    public long Spikes => Cores.Sum(c => c.Spikes);
    public long Packets => Cores.Sum(c => c.PacketsSent);
    public LinkLoad? BusiestLink => Links.MaxBy(l => l.Packets);
    public double EnergyPerInference => Streams == 0 ? 0 : EnergyJoules / Streams;

    public static MeshTelemetry From(CompiledMesh mesh, int streams, int steps, IEnumerable<CoreTraffic> cores)
    {
        var profile = mesh.Profile;
        var coreList = cores.OrderBy(c => c.Core).ToImmutableArray();
        var routes = mesh.Routed.Routes.ToDictionary(r => (r.From.Index, r.To.Index));
        var links = new Dictionary<(int, int, int, int), long>();
        var hops = new Dictionary<int, long>();
        long intra = 0, inter = 0;
        double hopEnergy = 0;
        foreach (var c in coreList)
            foreach (var (to, packets) in c.PacketsTo)
            {
                // Traffic names cores by placement (their order in the compiled mesh), routes by their number on the mesh.
                var (source, target) = (Address(mesh, c.Core), Address(mesh, to));
                var r = c.Core == to ? Routing.XY(source, target) : routes[(source.Index, target.Index)];
                hops[r.Hops] = hops.GetValueOrDefault(r.Hops) + packets;
                if (r.CrossesChips) inter += packets; else intra += packets;
                foreach (var l in r.Links)
                {
                    links[(l.FromX, l.FromY, l.ToX, l.ToY)] = links.GetValueOrDefault((l.FromX, l.FromY, l.ToX, l.ToY)) + packets;
                    hopEnergy += packets * (l.IsEastWest ? profile.Costs.HopEastWestJoules : profile.Costs.HopNorthSouthJoules);
                }
            }
        var linkLoads = links.Select(kv => new LinkLoad(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Key.Item4,
            new Link(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Key.Item4).Direction, kv.Value)).OrderByDescending(l => l.Packets).ToImmutableArray();
        var costs = profile.Costs;
        double energy = coreList.Sum(c => c.SynapticEvents * costs.SynapticOpJoules + c.NeuronUpdates * costs.NeuronUpdateJoules + c.PacketsSent * costs.SpikeInTileJoules) + hopEnergy;
        double perStep = TimePerStep(profile, linkLoads, mesh, streams, steps);
        return new MeshTelemetry(streams, steps, coreList, linkLoads, hops.ToImmutableDictionary(), intra, inter, energy, perStep);
    }

    private static CoreAddress Address(CompiledMesh mesh, int core) => mesh.Routed.Placed.Placements[core].Core;

    /// <summary>Per stream and step: the busiest link serializes its packets, the longest route adds its hops, the barrier closes the step.</summary>
    private static double TimePerStep(HardwareProfile p, ImmutableArray<LinkLoad> links, CompiledMesh mesh, int streams, int steps)
    {
        double hop = Math.Max(p.Costs.HopEastWestSeconds, p.Costs.HopNorthSouthSeconds);
        double busiest = links.IsEmpty ? 0 : (double)links[0].Packets / Math.Max(1, streams * steps) * hop;
        int longest = mesh.Routed.Routes.IsEmpty ? 0 : mesh.Routed.Routes.Max(r => r.Hops);
        return busiest + longest * hop + p.Costs.BarrierSeconds;
    }
}
