using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Interchange.Nir;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Core.Tests.Artifact;

namespace HybridSpike.Core.Tests.Interchange.Nir;

/// <summary>A network exported to NIR and imported back is the same network, and runs to the same spikes.</summary>
public sealed class NirRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-nir-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly NirExportOptions WithExtension = new(NirSubtractiveReset.Extension);

    /// <summary>
    /// Linear populations only (what NIR can carry): a non-spiking memory with a dense recurrence, a quantized hidden
    /// layer with biases, a sparse input and a sparse one-step recurrence, the input also one step late, and a
    /// quantized output with zero initial state.
    /// </summary>
    internal static NetworkDescription Network() => new(
        [
            new Population("memory", 4, Activation.Linear, null, [], InitialStateMode.Uniform, 11),
            new Population("hidden", 5, Activation.Linear, 6, [0.1, -0.2, 0.3, -0.4, 0.5], InitialStateMode.Uniform, 12),
            new Population("output", 3, Activation.Linear, 9, [], InitialStateMode.Zeros, 0),
        ],
        [
            new Connection("input", "memory", new DenseWeights(SampleArtifacts.RandomMatrix(4, 3, 1)), Delay.SameStep),
            new Connection("memory", "memory", new DenseWeights(SampleArtifacts.RandomMatrix(4, 4, 2, 0.5)), Delay.OneStep),
            new Connection("memory", "hidden", new SparseWeights(5, 4, [4, 0, 1, 3, 2, 0, 3], [0, 0, 1, 2, 3, 3, 1], [0.9, -0.7, 0.6, 1.1, -0.8, 0.4, -1.2]), Delay.SameStep),
            new Connection("input", "hidden", new DenseWeights(SampleArtifacts.RandomMatrix(5, 3, 4)), Delay.OneStep),
            new Connection("hidden", "hidden", new SparseWeights(5, 5, [0, 1, 2, 4], [1, 2, 0, 4], [0.3, -0.25, 0.0, 0.5]), Delay.OneStep),
            new Connection("hidden", "output", new DenseWeights(SampleArtifacts.RandomMatrix(3, 5, 5)), Delay.SameStep),
        ],
        new InputMapping(3, "three test channels") { Sequence = new SequenceInput("mnist-embedded", 5, 9) },
        new OutputMapping("output", OutputMapping.LastStep));

    private NetworkDescription RoundTrip(NetworkDescription network)
    {
        var path = Path.Combine(_dir, "net.nir");
        NirFile.Write(path, new NirDocument(NirFile.WrittenVersion, NirExport.ToGraph(network, WithExtension)));
        return NirImport.ToNetwork(NirFile.Read(path).Graph, NirImportOptions.Default);
    }

    private static double[] RandomInputs(int batch, int steps, int dims, ulong seed)
    {
        var g = new SplitMix64(seed);
        return [.. Enumerable.Range(0, batch * steps * dims).Select(_ => 2 * g.NextDouble() - 1)];
    }

    [Fact]
    public void Export_and_import_give_the_same_network()
    {
        SampleArtifacts.AssertSame(Network(), RoundTrip(Network()));
    }

    [Theory]
    [InlineData("hidden")]
    [InlineData("output")]
    public void Export_and_import_give_the_same_spikes_on_the_golden_model(string population)
    {
        var before = GoldenSimulator.Create(Network());
        var after = GoldenSimulator.Create(RoundTrip(Network()));
        var inputs = RandomInputs(batch: 6, steps: 40, dims: 3, seed: 77);
        var expected = before.RecordCounts(population, inputs, 6, 40);
        var actual = after.RecordCounts(population, inputs, 6, 40);
        Assert.Contains(expected.Counts, n => n != 0);   // the comparison is about spikes that happen
        Assert.Equal(expected.Counts.ToArray(), actual.Counts.ToArray());
    }

    [Fact]
    public void Export_and_import_give_the_same_outputs_on_the_golden_model()
    {
        var inputs = RandomInputs(batch: 6, steps: 40, dims: 3, seed: 78);
        var expected = GoldenSimulator.Create(Network()).Run(inputs, 6, 40);
        var actual = GoldenSimulator.Create(RoundTrip(Network())).Run(inputs, 6, 40);
        Assert.Equal(expected.Outputs, actual.Outputs);
    }

    [Fact]
    public void A_population_with_biases_and_no_inputs_keeps_its_biases_and_gains_no_connection()
    {
        var network = new NetworkDescription(
            [new Population("constant", 2, Activation.Linear, null, [0.75, -1.5], InitialStateMode.Zeros, 0),
             new Population("sum", 2, Activation.Linear, 3, [], InitialStateMode.Uniform, 4)],
            [new Connection("constant", "sum", new DenseWeights(Matrix.Identity(2)), Delay.SameStep),
             new Connection("input", "sum", new DenseWeights(SampleArtifacts.RandomMatrix(2, 1, 6)), Delay.SameStep)],
            new InputMapping(1, "one channel"), new OutputMapping("sum", OutputMapping.LastStep));
        SampleArtifacts.AssertSame(network, RoundTrip(network));
    }

    [Fact]
    public void The_file_reads_back_as_the_graph_it_was_written_from()
    {
        var graph = NirExport.ToGraph(Network(), WithExtension);
        var path = Path.Combine(_dir, "graph.nir");
        NirFile.Write(path, new NirDocument(NirFile.WrittenVersion, graph));
        Assert.Equal(graph, NirFile.Read(path).Graph);
    }

    [Fact]
    public void The_file_names_the_NIR_version_it_follows()
    {
        var path = Path.Combine(_dir, "version.nir");
        NirFile.Write(path, NirExport.ToDocument(ModelArtifact.Create(Network(), SampleArtifacts.Provenance()), WithExtension, digest: null));
        Assert.Equal("1.0.7", NirFile.Read(path).Version);
    }

    [Fact]
    public void A_quantized_population_is_written_as_an_IF_that_says_its_reset_is_subtractive()
    {
        var graph = NirExport.ToGraph(Network(), WithExtension);
        var node = Assert.IsType<NirIFNode>(graph.Nodes["hidden"]);
        var ours = Assert.IsType<NirGroupValue>(node.Metadata[NirExtension.Group]).Entries;
        Assert.Equal(new NirTextValue("subtractive"), ours[NirExtension.Reset]);
    }

    [Fact]
    public void A_quantized_population_sends_its_counts_through_a_scale_of_one_over_omega()
    {
        var graph = NirExport.ToGraph(Network(), WithExtension);
        var next = Assert.Single(graph.Edges, e => e.Source == "hidden").Target;
        Assert.Equal(NirTensor.Filled(5, 1 / 6.0), Assert.IsType<NirScaleNode>(graph.Nodes[next]).Scale);
    }

    [Fact]
    public void A_one_step_connection_goes_through_a_delay_of_one()
    {
        var graph = NirExport.ToGraph(Network(), WithExtension);
        var delay = Assert.IsType<NirDelayNode>(graph.Nodes["memory->memory.delay"]);
        Assert.Equal(NirTensor.Filled(4, 1), delay.Delay);
    }

    [Fact]
    public void The_imported_artifact_says_in_its_provenance_which_file_it_came_from()
    {
        var artifact = ModelArtifact.Create(Network(), SampleArtifacts.Provenance());
        var document = NirExport.ToDocument(artifact, WithExtension, digest: "ab12");
        var imported = NirImport.ToArtifact(document, "/data/model.nir", "cd34", NirImportOptions.Default, DateTimeOffset.UnixEpoch);
        Assert.Contains("imported from NIR file '/data/model.nir' (sha256 cd34", imported.Provenance.Notes);
    }

    [Fact]
    public void The_imported_artifact_keeps_the_model_kind_the_export_stored()
    {
        var artifact = ModelArtifact.Create(Network(), SampleArtifacts.Provenance());
        var imported = NirImport.ToArtifact(NirExport.ToDocument(artifact, WithExtension, null), "m.nir", "00", NirImportOptions.Default, DateTimeOffset.UnixEpoch);
        Assert.Equal(artifact.Provenance.ModelKind, imported.Provenance.ModelKind);
    }
}
