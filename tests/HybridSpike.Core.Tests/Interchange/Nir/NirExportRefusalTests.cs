using HybridSpike.Core.Interchange.Nir;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Tests.Artifact;

namespace HybridSpike.Core.Tests.Interchange.Nir;

/// <summary>What NIR's primitives cannot express is refused by name, never written as something else.</summary>
public sealed class NirExportRefusalTests
{
    private static NetworkDescription One(Activation f, double? omega) => new(
        [new Population("layer", 3, f, omega, [], InitialStateMode.Zeros, 0)],
        [new Connection("input", "layer", new DenseWeights(SampleArtifacts.RandomMatrix(3, 2, 1)), Delay.SameStep)],
        new InputMapping(2, "two"), new OutputMapping("layer", OutputMapping.LastStep));

    [Fact]
    public void A_quantized_population_is_refused_by_default_naming_it()
    {
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(NirRoundTripTests.Network(), NirExportOptions.Default));
        Assert.Contains("population 'hidden': it is a Sigma-Delta quantizer", e.Message);
    }

    [Fact]
    public void The_refusal_of_a_quantized_population_names_the_opt_in()
    {
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(One(Activation.Linear, 4), NirExportOptions.Default));
        Assert.Contains("--subtractive-reset extension", e.Message);
    }

    [Fact]
    public void Every_quantized_population_is_named_in_one_refusal()
    {
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(NirRoundTripTests.Network(), NirExportOptions.Default));
        Assert.Equal(["population 'hidden'", "population 'output'"], e.Problems.Select(p => p.Subject));
    }

    [Theory]
    [InlineData("rounding")]
    [InlineData("stochastic")]
    [InlineData("dithered")]
    [InlineData("send-on-delta")]
    public void A_quantizer_rule_other_than_sigma_delta_is_refused_even_with_the_opt_in(string name)
    {
        QuantizerRule rule = name switch
        {
            "rounding" => new QuantizerRule.Rounding(),
            "stochastic" => new QuantizerRule.Stochastic(1),
            "dithered" => new QuantizerRule.Dithered(1),
            _ => new QuantizerRule.SendOnDelta(1),
        };
        var network = One(Activation.Linear, 4);
        network = network with { Populations = [network.Populations[0] with { Quantizer = rule }] };
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(network, new NirExportOptions(NirSubtractiveReset.Extension)));
        Assert.Contains($"population 'layer': its quantizer rule is {name}, which has no NIR form", e.Message);
    }

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Relu)]
    public void A_nonlinear_activation_is_refused_naming_the_population(Activation f)
    {
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(One(f, null), new NirExportOptions(NirSubtractiveReset.Extension)));
        Assert.Contains($"population 'layer': activation {Activations.Name(f)} has no NIR primitive", e.Message);
    }

    [Fact]
    public void A_non_spiking_linear_network_needs_no_opt_in()
    {
        var graph = NirExport.ToGraph(One(Activation.Linear, null), NirExportOptions.Default);
        Assert.IsType<NirScaleNode>(graph.Nodes["layer"]);
    }

    [Fact]
    public void A_sparse_connection_with_two_synapses_on_one_pair_is_refused_naming_it()
    {
        var network = One(Activation.Linear, null) with
        {
            Connections = [new Connection("input", "layer", new SparseWeights(3, 2, [1, 1], [0, 0], [0.5, 0.25]), Delay.SameStep)],
        };
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(network, NirExportOptions.Default));
        Assert.Contains("connection input -> layer: synapses 0 and 1 both connect source 0 to target 1", e.Message);
    }

    [Fact]
    public void A_population_name_with_a_slash_is_refused_naming_it()
    {
        var network = One(Activation.Linear, null);
        network = network with
        {
            Populations = [network.Populations[0] with { Name = "a/b" }],
            Connections = [network.Connections[0] with { Target = "a/b" }],
            Output = new OutputMapping("a/b", OutputMapping.LastStep),
        };
        var e = Assert.Throws<NirExportException>(() => NirExport.ToGraph(network, NirExportOptions.Default));
        Assert.Contains("population 'a/b': its name cannot be a NIR node name", e.Message);
    }
}
