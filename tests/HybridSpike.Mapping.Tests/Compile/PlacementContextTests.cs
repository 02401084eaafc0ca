using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Tests.Routing;

namespace HybridSpike.Mapping.Tests.Compile;

public class PlacementContextTests
{
    private static readonly RoutingCase Case = new([20, 40, 8], [(0, 1, 1), (1, 2, 2), (1, 1, 3), (2, 0, 4)], 0);

    private static SplitNetwork SplitCase() => Split.Run(Case.Network(), RoutingCase.Profile(false));

    [Fact]
    public void A_pieces_axon_estimates_over_its_target_pieces_add_up_to_its_output_axons()
    {
        var split = SplitCase();
        var traffic = TrafficEstimate.FromAxons(split);
        for (int s = 0; s < split.Pieces.Length; s++)
            Assert.Equal(split.Pieces[s].OutputAxons, traffic.Pairs.Where(p => p.Source == s).Sum(p => p.Axons));
    }

    [Fact]
    public void The_axon_estimate_covers_every_pair_of_pieces_a_connection_joins_and_no_other()
    {
        var split = SplitCase();
        var net = split.Network;
        var expected = from s in Enumerable.Range(0, split.Pieces.Length)
                       from t in Enumerable.Range(0, split.Pieces.Length)
                       where net.Connections.Any(c => c.Source == split.Pieces[s].Population && c.Target == split.Pieces[t].Population)
                       select (s, t);
        Assert.Equal(expected.Order(), TrafficEstimate.FromAxons(split).Pairs.Select(p => (p.Source, p.Target)).Order());
        Assert.All(TrafficEstimate.FromAxons(split).Pairs, p => Assert.Equal(p.Axons, p.PacketsPerStep));
    }

    [Fact]
    public void Measured_rates_scale_the_axon_estimate_of_their_source_population()
    {
        var split = SplitCase();
        var axons = TrafficEstimate.FromAxons(split);
        var measured = TrafficEstimate.FromRates(split, new Dictionary<string, double> { ["p1"] = 0.25 });
        Assert.All(axons.Pairs.Zip(measured.Pairs), x =>
            Assert.Equal(split.Pieces[x.First.Source].Population == "p1" ? x.First.Axons * 0.25 : x.First.Axons, x.Second.PacketsPerStep));
    }

    [Theory]
    [InlineData("nope", 1.0, "unknown population 'nope'")]
    [InlineData("p0", -1.0, "population 'p0': rate must be zero or positive, got -1")]
    [InlineData("p0", double.NaN, "population 'p0': rate must be zero or positive")]
    public void A_bad_measured_rate_is_refused_naming_the_population(string population, double rate, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => TrafficEstimate.FromRates(SplitCase(), new Dictionary<string, double> { [population] = rate }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_default_context_has_the_profiles_topology_and_the_axon_estimate()
    {
        var split = SplitCase();
        var context = PlacementContext.For(split);
        Assert.Equal(new Mesh2D(split.Profile.Layout), context.Topology);
        Assert.Equal(TrafficEstimate.FromAxons(split).Pairs.ToArray(), context.Traffic.Pairs.ToArray());
    }

    [Fact]
    public void Traffic_between_two_pieces_no_connection_joins_is_zero()
    {
        var split = SplitCase();
        var traffic = TrafficEstimate.FromAxons(split);
        int p0 = split.Pieces.IndexOf(split.Of("p0").First());
        Assert.Equal(0, traffic.Between(p0, p0)); // p0 has no recurrence
    }
}
