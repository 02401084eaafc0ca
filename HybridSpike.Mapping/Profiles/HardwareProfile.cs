using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core;

namespace HybridSpike.Mapping.Profiles;

/// <summary>Chips in a 2D grid, each a 2D grid of cores.</summary>
public sealed record MeshLayout(int ChipsX, int ChipsY, int CoresX, int CoresY)
{
    public int CoresPerChip => CoresX * CoresY;
    public int Chips => ChipsX * ChipsY;
    public int Cores => Chips * CoresPerChip;
    /// <summary>Cores along the whole mesh's x and y axes (chips continue the mesh in four directions).</summary>
    public int Width => ChipsX * CoresX;
    public int Height => ChipsY * CoresY;
}

/// <summary>What one core can hold. Every limit the compiler checks is a field here, never a literal in compile code.</summary>
/// <param name="Units">Neurons (compartments) per core.</param>
/// <param name="InputAxons">Distinct sources (fan-in axons) a core can receive from.</param>
/// <param name="OutputAxons">Distinct destination (core, source) pairs a core's units can send to.</param>
/// <param name="SynapseMemoryBits">Synaptic state per core.</param>
/// <param name="WeightBits">Bits per stored weight (sign included).</param>
public sealed record CoreLimits(int Units, int InputAxons, int OutputAxons, long SynapseMemoryBits, int WeightBits);

/// <summary>How packets travel: the topology, the routing algorithm, and whether a packet is copied per destination or forks along a tree.</summary>
/// <param name="Topology">"mesh-2d": cores on a grid, links to the four neighbours; "triangular-torus": a router per chip, six links, wrapping (<see cref="Routing.Topologies"/>).</param>
/// <param name="Algorithm">"xy": dimension order, all of x first, then y; "table": key/mask multicast tables looked up chip by chip (<see cref="Routing.Routers"/>).</param>
/// <param name="Multicast">
/// false: one copy of each packet per destination core, each along its own path (Loihi in this
/// model); true: one copy that forks where the destinations' paths part, each link crossed once.
/// Required, as it changes every link count.
/// </param>
/// <param name="TableEntries">For <c>"table"</c>: entries each chip's router holds (SpiNNaker: 1,023 usable of 1,024); a table that does not fit after compression is a compile error.</param>
/// <param name="Compressor">For <c>"table"</c>: the table compressor (<see cref="Routing.Tables.TableCompressors"/>).</param>
public sealed record RoutingScheme(string Topology, string Algorithm, bool? Multicast, int? TableEntries, string? Compressor);

/// <summary>Energy (joules) and latency (seconds) per operation.</summary>
public sealed record OperationCosts(
    double SynapticOpJoules,
    double NeuronUpdateJoules,
    double SpikeInTileJoules,
    double HopEastWestJoules,
    double HopNorthSouthJoules,
    double SynapticOpSeconds,
    double SpikeInTileSeconds,
    double HopEastWestSeconds,
    double HopNorthSouthSeconds,
    double BarrierSeconds);

/// <summary>
/// What a real-time machine (SpiNNaker: local 1 ms timers, no barrier) can move in one step: a step's
/// traffic must pass every router and link within <see cref="StepSeconds"/>, or real hardware would
/// delay or drop packets (the emulator never does). Read by <see cref="Telemetry.RealTimeEstimate"/>.
/// </summary>
/// <param name="StepSeconds">The real-time step.</param>
/// <param name="RouterPacketsPerSecond">Packets one chip's router handles per second (injected by its cores or arriving on a link).</param>
/// <param name="LinkPacketsPerSecond">Packets one inter-chip link carries per second, in one direction, whatever their size; or null with <paramref name="LinkBitsPerSecond"/>.</param>
/// <param name="IdleChipWatts">A powered chip's draw with no core active (SpiNNaker: 0.35 W).</param>
/// <param name="ActiveCoreWatts">What each core that holds a piece adds (SpiNNaker: 0.034 W).</param>
/// <param name="LinkBitsPerSecond">
/// Bits one inter-chip link carries per second, in one direction, for a profile with <see cref="HardwareProfile.Packets"/>:
/// each packet takes its own size (key-only or with a payload); or null with <paramref name="LinkPacketsPerSecond"/>.
/// </param>
public sealed record RealTimeLimits(double StepSeconds, double RouterPacketsPerSecond, double? LinkPacketsPerSecond, double IdleChipWatts, double ActiveCoreWatts,
    double? LinkBitsPerSecond);

/// <summary>
/// A platform whose plain spikes travel as key-only packets (SpiNNaker: 40-bit multicast packets, or 72 bits with a
/// 32-bit payload). A packet whose count is +1 needs no payload: its routing key says which unit fired. Any other
/// count is a payload packet, charged <see cref="OperationCosts"/>' spikeInTile and hop figures; a key-only packet
/// is charged these instead, per router it passes: its source chip's and one per hop. Without this (Loihi, the
/// test profile) every packet is alike.
/// </summary>
/// <param name="KeyOnlyBits">A key-only packet's size (SpiNNaker: 8-bit header + 32-bit key = 40).</param>
/// <param name="PayloadBits">A payload packet's size (SpiNNaker: 40 + a 32-bit payload = 72); more than <paramref name="KeyOnlyBits"/>.</param>
/// <param name="KeyOnlySpikeInTileJoules">A key-only packet at its source router (the payload packet's figure: costs.spikeInTileJoules).</param>
/// <param name="KeyOnlyHopEastWestJoules">A key-only packet over one east-west hop (costs.hopEastWestJoules for a payload packet).</param>
/// <param name="KeyOnlyHopNorthSouthJoules">A key-only packet over one north-south hop (costs.hopNorthSouthJoules for a payload packet).</param>
public sealed record PacketFormat(int KeyOnlyBits, int PayloadBits, double KeyOnlySpikeInTileJoules, double KeyOnlyHopEastWestJoules, double KeyOnlyHopNorthSouthJoules);

/// <summary>
/// A neuromorphic platform as data: layout, per-core limits, routing and costs. The compiler and
/// the mesh read every figure from here, so a new platform (SpiNNaker's is next) is a new file, not
/// new branches. Built-in profiles are JSON files embedded in this assembly (Profiles/Builtin).
/// </summary>
public sealed record HardwareProfile(
    string Name,
    string Description,
    MeshLayout Layout,
    CoreLimits Core,
    RoutingScheme Routing,
    OperationCosts Costs,
    string Source,
    RealTimeLimits? RealTime,
    PacketFormat? Packets)
{
    /// <summary>Every problem, each naming its field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var e = new List<string>();
        void Positive(double v, string field) { if (!(v > 0) || !double.IsFinite(v)) e.Add($"{field}: must be positive, got {v}"); }
        void NotNegative(double v, string field) { if (!(v >= 0) || !double.IsFinite(v)) e.Add($"{field}: must be zero or positive, got {v}"); }
        if (string.IsNullOrWhiteSpace(Name)) e.Add("name: empty");
        if (Layout is null) e.Add("layout: missing");
        else { Positive(Layout.ChipsX, "layout.chipsX"); Positive(Layout.ChipsY, "layout.chipsY"); Positive(Layout.CoresX, "layout.coresX"); Positive(Layout.CoresY, "layout.coresY"); }
        if (Core is null) e.Add("core: missing");
        else
        {
            Positive(Core.Units, "core.units"); Positive(Core.InputAxons, "core.inputAxons"); Positive(Core.OutputAxons, "core.outputAxons");
            Positive(Core.SynapseMemoryBits, "core.synapseMemoryBits");
            if (Core.WeightBits is < 2 or > 16) e.Add($"core.weightBits: must be in 2..16, got {Core.WeightBits}");
        }
        if (Routing is null) e.Add("routing: missing");
        else
        {
            if (!Mapping.Routing.Topologies.Names.Contains(Routing.Topology))
                e.Add($"routing.topology: unknown '{Routing.Topology}' (valid: {string.Join(", ", Mapping.Routing.Topologies.Names)})");
            if (!Mapping.Routing.Routers.Names.Contains(Routing.Algorithm))
                e.Add($"routing.algorithm: unknown '{Routing.Algorithm}' (valid: {string.Join(", ", Mapping.Routing.Routers.Names)})");
            if (Routing.Multicast is null) e.Add("routing.multicast: missing (true or false)");
            ValidateTables(e);
        }
        if (RealTime is not null)
        {
            Positive(RealTime.StepSeconds, "realTime.stepSeconds");
            Positive(RealTime.RouterPacketsPerSecond, "realTime.routerPacketsPerSecond");
            // A link's throughput in packets suits a profile whose packets are all alike; in bits, one whose sizes differ.
            if (RealTime.LinkPacketsPerSecond is { } packetsPerSecond)
            {
                Positive(packetsPerSecond, "realTime.linkPacketsPerSecond");
                if (RealTime.LinkBitsPerSecond is not null) e.Add("realTime.linkBitsPerSecond: give it or realTime.linkPacketsPerSecond, not both");
            }
            else if (RealTime.LinkBitsPerSecond is { } bitsPerSecond)
            {
                Positive(bitsPerSecond, "realTime.linkBitsPerSecond");
                if (Packets is null) e.Add("realTime.linkBitsPerSecond: needs packets (the packet sizes in bits); or give realTime.linkPacketsPerSecond");
            }
            else e.Add("realTime.linkPacketsPerSecond: missing (or realTime.linkBitsPerSecond, with packets)");
            NotNegative(RealTime.IdleChipWatts, "realTime.idleChipWatts");
            NotNegative(RealTime.ActiveCoreWatts, "realTime.activeCoreWatts");
        }
        if (Packets is not null)
        {
            Positive(Packets.KeyOnlyBits, "packets.keyOnlyBits");
            if (Packets.PayloadBits <= Packets.KeyOnlyBits)
                e.Add($"packets.payloadBits: must be more than packets.keyOnlyBits ({Packets.KeyOnlyBits}), got {Packets.PayloadBits}");
            NotNegative(Packets.KeyOnlySpikeInTileJoules, "packets.keyOnlySpikeInTileJoules");
            NotNegative(Packets.KeyOnlyHopEastWestJoules, "packets.keyOnlyHopEastWestJoules");
            NotNegative(Packets.KeyOnlyHopNorthSouthJoules, "packets.keyOnlyHopNorthSouthJoules");
        }
        if (Costs is null) e.Add("costs: missing");
        else
        {
            NotNegative(Costs.SynapticOpJoules, "costs.synapticOpJoules"); NotNegative(Costs.NeuronUpdateJoules, "costs.neuronUpdateJoules");
            NotNegative(Costs.SpikeInTileJoules, "costs.spikeInTileJoules"); NotNegative(Costs.HopEastWestJoules, "costs.hopEastWestJoules");
            NotNegative(Costs.HopNorthSouthJoules, "costs.hopNorthSouthJoules"); NotNegative(Costs.SynapticOpSeconds, "costs.synapticOpSeconds");
            NotNegative(Costs.SpikeInTileSeconds, "costs.spikeInTileSeconds"); NotNegative(Costs.HopEastWestSeconds, "costs.hopEastWestSeconds");
            NotNegative(Costs.HopNorthSouthSeconds, "costs.hopNorthSouthSeconds"); NotNegative(Costs.BarrierSeconds, "costs.barrierSeconds");
        }
        return e;
    }

    /// <summary>What table routing and the torus need of the rest of the profile.</summary>
    private void ValidateTables(List<string> e)
    {
        bool table = Routing.Algorithm == Mapping.Routing.Tables.TableRouter.AlgorithmName;
        if (Routing.Topology == Mapping.Routing.TriangularTorus.TopologyName && Layout is not null)
        {
            // On fewer than 3 chips a side, two of a chip's six links would lead to one chip.
            if (Layout.ChipsX < 3) e.Add($"layout.chipsX: a triangular torus needs at least 3 chips along x, got {Layout.ChipsX}");
            if (Layout.ChipsY < 3) e.Add($"layout.chipsY: a triangular torus needs at least 3 chips along y, got {Layout.ChipsY}");
        }
        if (!table)
        {
            if (Routing.TableEntries is not null) e.Add($"routing.tableEntries: only for routing.algorithm '{Mapping.Routing.Tables.TableRouter.AlgorithmName}'");
            if (Routing.Compressor is not null) e.Add($"routing.compressor: only for routing.algorithm '{Mapping.Routing.Tables.TableRouter.AlgorithmName}'");
            return;
        }
        if (Routing.Topology != Mapping.Routing.TriangularTorus.TopologyName)
            e.Add($"routing.algorithm: '{Routing.Algorithm}' needs routing.topology '{Mapping.Routing.TriangularTorus.TopologyName}', got '{Routing.Topology}'");
        if (Routing.Multicast == false) e.Add("routing.multicast: table routing copies packets where branches part, so it must be true");
        if (Routing.TableEntries is not int n) e.Add("routing.tableEntries: missing (the entries a chip's router holds)");
        else if (n <= 0) e.Add($"routing.tableEntries: must be positive, got {n}");
        if (Routing.Compressor is null) e.Add($"routing.compressor: missing (valid: {string.Join(", ", Mapping.Routing.Tables.TableCompressors.Names)})");
        else if (!Mapping.Routing.Tables.TableCompressors.Names.Contains(Routing.Compressor))
            e.Add($"routing.compressor: unknown '{Routing.Compressor}' (valid: {string.Join(", ", Mapping.Routing.Tables.TableCompressors.Names)})");
        if (Layout is not null && Layout.CoresPerChip > Mapping.Routing.Tables.CoreSet.Capacity)
            e.Add($"layout: {Layout.CoresPerChip} cores per chip, but a routing entry names at most {Mapping.Routing.Tables.CoreSet.Capacity}");
    }

    /// <summary>Parses and validates a profile; errors name the source and the field.</summary>
    public static HardwareProfile Parse(string json, string source)
    {
        var p = ConfigJson.Parse<HardwareProfile>(json, source, (message, e) => new InvalidDataException(message, e));
        var errors = p.Validate();
        if (errors.Count > 0) throw new InvalidDataException($"{source}: {string.Join("; ", errors)}");
        return p;
    }

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Options);
}

/// <summary>The built-in profiles, and profiles from files.</summary>
public static class Profiles
{
    private static readonly Lazy<ImmutableDictionary<string, HardwareProfile>> Builtin = new(() =>
    {
        var asm = typeof(Profiles).Assembly;
        var b = ImmutableDictionary.CreateBuilder<string, HardwareProfile>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("HybridSpike.Mapping.Profiles.", StringComparison.Ordinal)).Order())
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            var p = HardwareProfile.Parse(r.ReadToEnd(), name);
            b.Add(p.Name, p);
        }
        return b.ToImmutable();
    });

    /// <summary>Names of the built-in profiles.</summary>
    public static ImmutableArray<string> Names => [.. Builtin.Value.Keys.Order()];

    /// <summary>A built-in profile by name, or a profile JSON file by path; an unknown name lists the valid ones.</summary>
    public static HardwareProfile Get(string nameOrPath)
    {
        if (Builtin.Value.TryGetValue(nameOrPath, out var p)) return p;
        if (File.Exists(nameOrPath)) return HardwareProfile.Parse(File.ReadAllText(nameOrPath), nameOrPath);
        throw new ArgumentException($"unknown profile '{nameOrPath}'; valid: {string.Join(", ", Names)} (or a profile JSON file)");
    }
}
