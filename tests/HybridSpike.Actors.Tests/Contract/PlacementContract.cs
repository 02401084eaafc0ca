using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>A traffic-aware placer a generated case may use instead of sequential or random placement.</summary>
public enum TrafficPlacer { Greedy, Partition }

/// <summary>The generated cases' placement: the four placers, and the strategy a case's fields name.</summary>
public static class PlacementChoices
{
    /// <summary>Sequential, random (with a seed), greedy or partition; random twice as often, as before the traffic placers.</summary>
    public static Gen<(ulong? Seed, TrafficPlacer? Traffic)> Of(Gen<ulong> seed) => Gen.Frequency(
        (1, Gen.Constant<(ulong?, TrafficPlacer?)>((null, null))),
        (2, seed.Select(s => ((ulong?)s, (TrafficPlacer?)null))),
        (1, Gen.Constant<(ulong?, TrafficPlacer?)>((null, TrafficPlacer.Greedy))),
        (1, Gen.Constant<(ulong?, TrafficPlacer?)>((null, TrafficPlacer.Partition))));

    /// <summary>A seed means random placement; otherwise the traffic placer if any; otherwise sequential.</summary>
    public static IPlacementStrategy Strategy(ulong? seed, TrafficPlacer? traffic) => (seed, traffic) switch
    {
        ({ } s, _) => new RandomPlacement(s),
        (null, TrafficPlacer.Greedy) => new GreedyInterchipPlacement(),
        (null, TrafficPlacer.Partition) => new PartitionPlacement(),
        _ => new SequentialPlacement(),
    };

    /// <summary>The case under each of the four placers: sequential, random (its seed or 1), greedy, partition.</summary>
    public static IEnumerable<ContractCase> UnderEveryPlacer(ContractCase c) =>
    [
        c with { PlacementSeed = null, TrafficPlacement = null },
        c with { PlacementSeed = c.PlacementSeed ?? 1, TrafficPlacement = null },
        c with { PlacementSeed = null, TrafficPlacement = TrafficPlacer.Greedy },
        c with { PlacementSeed = null, TrafficPlacement = TrafficPlacer.Partition },
    ];
}

public abstract partial class SimulatorContract
{
    /// <summary>
    /// Placement moves pieces between cores and chips, never a spike: the same case compiled under
    /// every placer (sequential, random, greedy, partition) gives the fixed-point reference's spikes,
    /// outputs and predictions on the subject. Fewer cases than the main clause, as each runs four times.
    /// </summary>
    [Property(MaxTest = 15)]
    public Property Every_placer_gives_the_fixed_point_references_spikes() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain), c =>
        {
            var inputs = c.Inputs();
            foreach (var placed in PlacementChoices.UnderEveryPlacer(c))
            {
                var mesh = placed.Compile();
                var expected = RunOutcome.Of(ReferenceOf(mesh), inputs, c.Streams, c.Steps);
                var actual = RunOutcome.Of(Subject(mesh, c.Shuffle, GeneratedRunTimeout), inputs, c.Streams, c.Steps);
                Check(expected, actual, Reference, $"{SubjectName} under placement {mesh.Placement}", placed, mesh);
            }
        });
}
