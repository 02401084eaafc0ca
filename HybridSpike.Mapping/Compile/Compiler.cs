using HybridSpike.Mapping.Routing;
using System.Collections.Immutable;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;

namespace HybridSpike.Mapping.Compile;

/// <summary>One core of a compiled mesh, as <c>hybridspike compile</c> shows it.</summary>
public sealed record CoreSummary(
    int Core, int ChipX, int ChipY, int X, int Y,
    string Population, int FirstUnit, int Units,
    int InputAxons, int OutputAxons, long SynapseBits, double SynapseMemoryUse,
    string SplitBy);

/// <summary>One route of a compiled mesh.</summary>
public sealed record RouteSummary(int From, int To, int Hops, bool CrossesChips, string Path);

/// <summary>Per population: how many cores, and which limit forced the split.</summary>
public sealed record PopulationSummary(string Population, int Units, int Cores, string SplitBy);

/// <summary>
/// A network compiled to a profile: every stage's result (split, discretized, placed, routed) kept,
/// plus a flat summary for reports. An immutable value: the mesh runtime is built from it.
/// </summary>
/// <param name="Routed">The router's decisions per (source, target) pair, for summaries.</param>
/// <param name="Router">
/// Where every core's packets go and over which links: the runtime's destination sets and the
/// telemetry's link, hop and chip counts both come from its decisions (<see cref="IRouter.Resolve"/>).
/// </param>
public sealed record CompiledMesh(
    HardwareProfile Profile,
    string Placement,
    DiscretizedNetwork Discretized,
    RoutedNetwork Routed,
    IRouter Router,
    ImmutableArray<PopulationSummary> Populations,
    ImmutableArray<CoreSummary> Cores,
    ImmutableArray<RouteSummary> Routes)
{
    public NetworkDescription Network => Discretized.Network;
    public ITopology Topology => Router.Topology;
}

/// <summary>Choices of the compiler that are not the hardware's.</summary>
/// <param name="SplitIdentity">Rewrite near-identity recurrences as I + (W − I) first (<see cref="Lower"/>).</param>
public sealed record CompileOptions(bool SplitIdentity, ExponentBlock Exponents)
{
    /// <summary>
    /// Measured nonzero payloads per unit per step, per population (e.g. <see cref="TrafficRates.Measure"/>),
    /// that scale the traffic a placer reads (<see cref="TrafficEstimate.FromRates"/>); null: every unit
    /// counted as sending every step (<see cref="TrafficEstimate.FromAxons"/>). Changes placement only, never spikes.
    /// </summary>
    public IReadOnlyDictionary<string, double>? TrafficRates { get; init; }

    public static CompileOptions Default { get; } = new(true, ExponentBlock.Core);
}

/// <summary>
/// The compile pipeline: lower → split → discretize → place → route, each a pure stage. Placement is
/// given a <see cref="PlacementContext"/> (topology, traffic from axon counts or <see cref="CompileOptions.TrafficRates"/>),
/// its result goes through <see cref="PlacementCheck"/>; the router is the
/// profile's (<see cref="Routers.For"/>).
/// </summary>
public static class Compiler
{
    public static CompiledMesh Compile(NetworkDescription network, HardwareProfile profile, IPlacementStrategy placement) =>
        Compile(network, profile, placement, CompileOptions.Default);

    public static CompiledMesh Compile(NetworkDescription network, HardwareProfile profile, IPlacementStrategy placement, CompileOptions options)
    {
        if (options.SplitIdentity) network = Lower.SplitIdentity(network);
        var split = Split.Run(network, profile);
        var discretized = Discretize.Run(split, options.Exponents);
        var context = PlacementContext.For(split, options.TrafficRates is { } rates ? TrafficEstimate.FromRates(split, rates) : TrafficEstimate.FromAxons(split));
        var placed = placement.Place(context);
        PlacementCheck.Validate(placed, profile);
        var router = Routers.For(profile, context.Topology, placed);
        var routed = RoutedNetwork.Of(router);
        var cores = routed.Placed.Placements.Select(p => new CoreSummary(
            p.Core.Index, p.Core.ChipX, p.Core.ChipY, p.Core.X, p.Core.Y,
            p.Piece.Population, p.Piece.Start, p.Piece.Count,
            p.Piece.InputAxons, p.Piece.OutputAxons, p.Piece.SynapseBits,
            (double)p.Piece.SynapseBits / profile.Core.SynapseMemoryBits,
            p.Piece.ClosedBy == SplitLimit.None ? "-" : Name(p.Piece.ClosedBy)));
        var populations = network.Populations.Select(pop =>
        {
            var pieces = split.Of(pop.Name).ToList();
            var reasons = pieces.Select(p => p.ClosedBy).Where(r => r != SplitLimit.None).Distinct().Select(Name).ToList();
            return new PopulationSummary(pop.Name, pop.Size, pieces.Count, reasons.Count == 0 ? "-" : string.Join(", ", reasons));
        });
        var routes = routed.Routes.Select(r => new RouteSummary(r.From.Index, r.To.Index, r.Hops, r.CrossesChips, string.Concat(r.Links.Select(router.Topology.Direction))));
        return new CompiledMesh(profile, placement.Name, discretized, routed, router, [.. populations], [.. cores], [.. routes]);
    }

    private static string Name(SplitLimit l) => l switch
    {
        SplitLimit.Units => "units",
        SplitLimit.InputAxons => "input axons",
        SplitLimit.OutputAxons => "output axons",
        SplitLimit.SynapseMemory => "synapse memory",
        _ => "-",
    };
}
