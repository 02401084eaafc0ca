using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Network;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridSpike.Core.Tests.Artifact;

/// <summary>The artifact names the sequences its input reads, so that compile, simulate and the service need no training config.</summary>
public sealed class ArtifactInputTests
{
    private static ModelArtifact WithSequence(SequenceInput? sequence)
    {
        var a = SampleArtifacts.Artifact();
        return a with { Network = a.Network with { Input = a.Network.Input with { Sequence = sequence } } };
    }

    private static ModelArtifact RoundTrip(ModelArtifact a) => ArtifactFile.Deserialize(ArtifactFile.Serialize(a), "test.hsa");

    [Fact]
    public void The_input_sequence_survives_a_round_trip()
    {
        var back = RoundTrip(WithSequence(new SequenceInput(Datasets.FashionMnist, 42, 1234)));
        Assert.Equal(new SequenceInput(Datasets.FashionMnist, 42, 1234), back.Network.Input.Sequence);
    }

    [Fact]
    public void An_artifact_without_the_field_reads_with_no_sequence()
    {
        Assert.Null(RoundTrip(WithSequence(null)).Network.Input.Sequence);
    }

    [Fact]
    public void An_unknown_dataset_in_the_sequence_is_refused_naming_the_field()
    {
        var bytes = ArtifactFile.Serialize(WithSequence(new SequenceInput(Datasets.Mnist, 42, 1234)));
        var plain = ContractlessStandardResolver.Options;
        var root = (Dictionary<object, object?>)MessagePackSerializer.Deserialize<object>(bytes, plain)!;
        var input = (Dictionary<object, object?>)((Dictionary<object, object?>)root["network"]!)["input"]!;
        ((Dictionary<object, object?>)input["sequence"]!)["dataset"] = "cifar";
        var e = Assert.Throws<ArtifactFormatException>(() => ArtifactFile.Deserialize(SampleArtifacts.Sealed(root), "edited.hsa"));
        Assert.Contains("network.input.sequence.dataset: unknown dataset 'cifar'", e.Message);
    }

    [Fact]
    public void The_data_of_an_artifact_comes_from_its_input_sequence()
    {
        var data = DataConfig.ForArtifact(WithSequence(new SequenceInput(Datasets.FashionMnist, 7, 99)), "a.hsa");
        Assert.Equal((Datasets.FashionMnist, 7UL, 99UL), (data.Dataset, data.SplitSeed, data.PermutationSeed));
    }

    [Fact]
    public void An_older_artifact_takes_its_data_from_the_provenance_config()
    {
        var a = WithSequence(null);
        a = a with { Provenance = a.Provenance with { ConfigJson = """{"name": "x", "data": {"dataset": "fashion-mnist", "permutationSeed": 5}}""" } };
        var data = DataConfig.ForArtifact(a, "old.hsa");
        Assert.Equal((Datasets.FashionMnist, 5UL), (data.Dataset, data.PermutationSeed));
    }

    [Fact]
    public void A_sequential_view_is_refused_naming_the_artifact()
    {
        var e = Assert.Throws<ArgumentException>(() => DataConfig.ForArtifact(WithSequence(new SequenceInput(Datasets.Mnist, 42, null)), "seq.hsa"));
        Assert.StartsWith("seq.hsa:", e.Message);
    }
}
