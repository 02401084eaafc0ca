using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Mapping.Tests.Compile;

public class TrafficRatesTests
{
    private static CompiledMesh Mesh() => Compiler.Compile(PlacementCases.Interleaved().Network, PlacementCases.Test, new SequentialPlacement());

    [Fact]
    public void Zero_input_to_a_bias_free_network_measures_zero_for_every_population()
    {
        var rates = TrafficRates.Measure(Mesh(), new double[2 * 5], 2, 5);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"p{i}"), rates.Keys);
        Assert.All(rates.Values, r => Assert.Equal(0, r));
    }

    [Fact]
    public void Driven_populations_measure_a_rate_between_zero_and_one()
    {
        var rates = TrafficRates.Measure(Mesh(), Enumerable.Repeat(1.0, 2 * 5).ToArray(), 2, 5);
        Assert.InRange(rates["p0"], 1e-9, 1.0);
    }

    [Fact]
    public void Measured_rates_reach_the_placer_through_the_compile_options()
    {
        // With every rate zero there is no traffic, so greedy keeps index order (p1 next to p0, on
        // chip 0); from axon counts it puts the odd group on a chip of its own.
        var net = PlacementCases.Interleaved().Network;
        var zero = TrafficRates.Measure(Mesh(), new double[5], 1, 5);
        var byAxons = Compiler.Compile(net, PlacementCases.Test, new GreedyInterchipPlacement());
        var byRates = Compiler.Compile(net, PlacementCases.Test, new GreedyInterchipPlacement(), CompileOptions.Default with { TrafficRates = zero });
        Assert.Equal(1, byRates.Cores.Single(c => c.Population == "p1").Core);
        Assert.NotEqual((0, 0), byAxons.Cores.Where(c => c.Population == "p1").Select(c => (c.ChipX, c.ChipY)).Single());
    }

    [Fact]
    public void A_rate_for_an_unknown_population_is_an_error_naming_it()
    {
        var options = CompileOptions.Default with { TrafficRates = ImmutableDictionary<string, double>.Empty.Add("nope", 1) };
        var e = Assert.Throws<ArgumentException>(() => Compiler.Compile(PlacementCases.Interleaved().Network, PlacementCases.Test, new GreedyInterchipPlacement(), options));
        Assert.Contains("unknown population 'nope'", e.Message);
    }

    [Fact]
    public void A_run_of_no_steps_is_an_error()
    {
        Assert.Contains("steps must be 1 or more", Assert.Throws<ArgumentException>(() => TrafficRates.Measure(Mesh(), [], 1, 0)).Message);
    }
}
