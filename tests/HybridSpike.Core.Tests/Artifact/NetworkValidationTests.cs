using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Tests.Artifact;

/// <summary><see cref="NetworkDescription.Validate"/>: what the reader, the writer, the simulators and the compiler all refuse.</summary>
public sealed class NetworkValidationTests
{
    /// <summary>input -> p (one unit, weight w) -> nothing: a population whose worst case is |bias| + |w|.</summary>
    private static NetworkDescription One(Activation f, double? omega, double bias = 0, double weight = 1) => new(
        [new Population("p", 1, f, omega, [bias], InitialStateMode.Zeros, 0)],
        [new Connection("input", "p", new DenseWeights(Matrix.Create(1, 1, [weight])), Delay.SameStep)],
        new InputMapping(1, "x"), new OutputMapping("p", OutputMapping.LastStep));

    private static string Refusal(NetworkDescription n) => Assert.Throws<ArgumentException>(n.Validate).Message;

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bias_that_is_not_finite_is_refused_naming_the_population(double bias) =>
        Assert.Equal($"population 'p': bias 0 is {bias}; biases must be finite", Refusal(One(Activation.Tanh, 4, bias)));

    [Fact]
    public void A_weight_that_is_not_finite_is_refused_naming_the_connection() =>
        Assert.Equal($"connection input -> p: weight 0 is {double.NegativeInfinity}; weights must be finite", Refusal(One(Activation.Tanh, 4, weight: double.NegativeInfinity)));

    [Theory]
    [InlineData(1e12)]
    [InlineData(1e300)]
    public void An_omega_whose_counts_cannot_fit_an_int32_is_refused_naming_the_population(double omega)
    {
        var e = Refusal(One(Activation.Linear, omega, weight: 1e-20));
        Assert.StartsWith($"population 'p': ω = {omega} is over the limit of {NetworkDescription.MaxOmega}", e);
    }

    [Fact]
    public void A_tanh_population_at_the_largest_omega_is_accepted() =>
        One(Activation.Tanh, NetworkDescription.MaxOmega).Validate();

    [Fact]
    public void A_linear_population_whose_weights_can_drive_counts_past_int32_is_refused()
    {
        // |x| ≤ |bias| + |w|·1 = 3e6; with ω = 1000 a step can give 3e9 + 1 spikes.
        var e = Refusal(One(Activation.Linear, 1000, bias: 1e6, weight: 2e6));
        Assert.Contains("population 'p': with ω = 1000 a step can give 3E+09 spikes per unit", e);
        Assert.Contains("more than an int32 count holds (2147483647)", e);
    }

    [Fact]
    public void A_linear_population_fed_by_a_bounded_quantized_one_is_bounded_through_it()
    {
        // q: tanh, ω = 2, so |a| ≤ 1 + 1/2; p: linear, weight 1e6 from q, ω = 1500: 1500·1.5e6 + 1 > 2^31.
        var n = new NetworkDescription(
            [new Population("q", 1, Activation.Tanh, 2, [], InitialStateMode.Zeros, 0),
             new Population("p", 1, Activation.Linear, 1500, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "q", new DenseWeights(Matrix.Create(1, 1, [1.0])), Delay.SameStep),
             new Connection("q", "p", new DenseWeights(Matrix.Create(1, 1, [1e6])), Delay.SameStep)],
            new InputMapping(1, "x"), new OutputMapping("p", OutputMapping.LastStep));
        Assert.Contains("population 'p': with ω = 1500", Refusal(n));
        (n with { Populations = [n.Populations[0], n.Populations[1] with { Omega = 1000 }] }).Validate();   // 1.5e9 + 1 fits
    }

    [Fact]
    public void A_recurrent_linear_population_has_no_static_bound_and_is_accepted_below_the_largest_omega()
    {
        var n = One(Activation.Linear, 1e6) with
        {
            Connections = [.. One(Activation.Linear, 1e6).Connections, new Connection("p", "p", new DenseWeights(Matrix.Create(1, 1, [0.9])), Delay.OneStep)],
        };
        n.Validate();
    }

    [Fact]
    public void An_artifact_of_an_invalid_network_is_refused_where_it_is_made()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelArtifact.Create(One(Activation.Tanh, 4, double.NaN), SampleArtifacts.Provenance()));
        Assert.Equal("population 'p': bias 0 is NaN; biases must be finite", e.Message);
    }

    [Fact]
    public void The_artifact_reader_refuses_a_non_finite_bias_with_the_validation_message()
    {
        var artifact = ModelArtifact.Create(One(Activation.Tanh, 4), SampleArtifacts.Provenance());
        var bytes = ArtifactFile.Serialize(artifact);
        // The bias blob of the one population: 1.0 is not in the file, so patch the bias (0) to NaN in the DTO's bytes.
        int at = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xc4, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.True(at > 0);
        BitConverter.GetBytes(double.NaN).CopyTo(bytes, at + 2);
        var root = (Dictionary<object, object?>)MessagePack.MessagePackSerializer.Deserialize<object>(bytes, MessagePack.Resolvers.ContractlessStandardResolver.Options)!;
        var e = Assert.Throws<ArtifactFormatException>(() => ArtifactFile.Deserialize(SampleArtifacts.Sealed(root), "nan.hsa"));
        Assert.Equal("nan.hsa: invalid network: population 'p': bias 0 is NaN; biases must be finite", e.Message);
    }
}
