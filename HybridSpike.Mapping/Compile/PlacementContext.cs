using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Compile;

/// <summary>The expected traffic from one piece to another (indices into <see cref="SplitNetwork.Pieces"/>).</summary>
/// <param name="Axons">The source piece's units with a nonzero weight into a unit of the target piece: its output axons that point there (Split's count, per target piece).</param>
/// <param name="PacketsPerStep">Axons × the source population's nonzero payloads per unit per step (1 when not measured).</param>
public sealed record PieceTraffic(int Source, int Target, int Axons, double PacketsPerStep);

/// <summary>
/// Traffic per pair of pieces that a connection joins (every such pair, possibly with zero axons),
/// in connection order, then source piece, then target piece. From the axon counts alone (each unit
/// sends once a step) or scaled by measured rates. What a traffic-aware placement reads; routing
/// does not depend on it.
/// </summary>
public sealed record TrafficEstimate(ImmutableArray<PieceTraffic> Pairs)
{
    /// <summary>The expected packets per step from piece <paramref name="source"/> to piece <paramref name="target"/> (0 when no connection joins them).</summary>
    public double Between(int source, int target)
    {
        double sum = 0;
        foreach (var p in Pairs) if (p.Source == source && p.Target == target) sum += p.PacketsPerStep;
        return sum;
    }

    /// <summary>Every unit assumed to send a nonzero payload every step.</summary>
    public static TrafficEstimate FromAxons(SplitNetwork split) => FromRates(split, ImmutableDictionary<string, double>.Empty);

    /// <summary>
    /// Axon counts scaled by measured rates: per population, the mean nonzero payloads per unit per
    /// step (e.g. a mesh run's packets ÷ destinations ÷ units ÷ steps); a population not listed counts 1.
    /// </summary>
    public static TrafficEstimate FromRates(SplitNetwork split, IReadOnlyDictionary<string, double> payloadsPerUnitPerStep)
    {
        var net = split.Network;
        foreach (var (population, rate) in payloadsPerUnitPerStep)
        {
            if (!net.Populations.Any(p => p.Name == population))
                throw new ArgumentException($"traffic rates: unknown population '{population}'", nameof(payloadsPerUnitPerStep));
            if (!(rate >= 0) || !double.IsFinite(rate))
                throw new ArgumentException($"traffic rates: population '{population}': rate must be zero or positive, got {rate}", nameof(payloadsPerUnitPerStep));
        }
        // Per population: its pieces' indices in split.Pieces, and per unit the piece that holds it.
        var pieces = new Dictionary<string, List<int>>();
        for (int i = 0; i < split.Pieces.Length; i++)
        {
            if (!pieces.TryGetValue(split.Pieces[i].Population, out var list)) pieces[split.Pieces[i].Population] = list = [];
            list.Add(i);
        }
        var pieceOf = net.Populations.ToDictionary(p => p.Name, p =>
        {
            var of = new int[p.Size];
            foreach (var i in pieces.GetValueOrDefault(p.Name) ?? [])
                for (int u = split.Pieces[i].Start; u < split.Pieces[i].Start + split.Pieces[i].Count; u++) of[u] = i;
            return of;
        });
        // Distinct (source unit, target piece) axons per (source piece, target piece), over every connection between the two populations.
        var axons = new Dictionary<(int Source, int Target), HashSet<int>>();
        var pairs = new List<(int Source, int Target)>();
        foreach (var c in net.Connections.Where(c => c.Source != NetworkDescription.InputName))
        {
            foreach (var s in pieces.GetValueOrDefault(c.Source) ?? [])
                foreach (var t in pieces.GetValueOrDefault(c.Target) ?? [])
                    if (!axons.ContainsKey((s, t))) { axons[(s, t)] = []; pairs.Add((s, t)); }
            var (from, to) = (pieceOf[c.Source], pieceOf[c.Target]);
            foreach (var (target, source) in Split.NonZero(c.Weights)) axons[(from[source], to[target])].Add(source);
        }
        return new TrafficEstimate([.. pairs.Select(p =>
        {
            int n = axons[p].Count;
            return new PieceTraffic(p.Source, p.Target, n, n * payloadsPerUnitPerStep.GetValueOrDefault(split.Pieces[p.Source].Population, 1.0));
        })]);
    }
}

/// <summary>
/// What a placement strategy may look at: the pieces, the interconnect they go on, and the traffic
/// between them. A strategy that ignores some of it (sequential, random) is still given all of it,
/// so a traffic-aware one needs no other change.
/// </summary>
public sealed record PlacementContext(SplitNetwork Split, ITopology Topology, TrafficEstimate Traffic)
{
    /// <summary>The profile's topology and the traffic from axon counts.</summary>
    public static PlacementContext For(SplitNetwork split) => For(split, TrafficEstimate.FromAxons(split));

    /// <summary>The profile's topology and the given traffic (e.g. <see cref="TrafficEstimate.FromRates"/>).</summary>
    public static PlacementContext For(SplitNetwork split, TrafficEstimate traffic) => new(split, Topologies.For(split.Profile), traffic);
}
