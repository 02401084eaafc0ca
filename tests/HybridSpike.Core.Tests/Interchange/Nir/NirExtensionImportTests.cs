using HybridSpike.Core.Interchange.Nir;

namespace HybridSpike.Core.Tests.Interchange.Nir;

/// <summary>HybridSpike's IF is read back only when its plain parameters agree with what its metadata says.</summary>
public sealed class NirExtensionImportTests
{
    private static NirGraph Exported() => NirExport.ToGraph(NirRoundTripTests.Network(), new NirExportOptions(NirSubtractiveReset.Extension));

    private static NirGraph With(NirGraph graph, string name, NirNode node) =>
        graph with { Nodes = graph.Nodes.SetItem(name, node) };

    [Fact]
    public void An_IF_whose_r_is_not_omega_is_refused_naming_it()
    {
        var graph = Exported();
        var node = (NirIFNode)graph.Nodes["hidden"];
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(With(graph, "hidden", node with { R = NirTensor.Filled(5, 5) }), NirImportOptions.Default));
        Assert.Contains("node 'hidden' (IF): r must be ω = 6 for every unit", e.Message);
    }

    [Fact]
    public void An_IF_whose_stored_initial_state_disagrees_with_its_seed_is_refused()
    {
        var graph = Exported();
        var node = (NirIFNode)graph.Nodes["hidden"];
        var ours = ((NirGroupValue)node.Metadata[NirExtension.Group]).Entries.SetItem(NirExtension.InitialSeed, new NirUnsignedValue(99));
        var changed = node with { Metadata = node.Metadata.SetItem(NirExtension.Group, new NirGroupValue(ours)) };
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(With(graph, "hidden", changed), NirImportOptions.Default));
        Assert.Contains("v_initial is not the v₀ that uniform with seed 99 gives", e.Message);
    }

    [Fact]
    public void An_IF_without_the_extension_metadata_is_refused_even_in_a_HybridSpike_graph()
    {
        var graph = Exported();
        var node = (NirIFNode)graph.Nodes["hidden"];
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(With(graph, "hidden", node with { Metadata = NirMetadata.Empty }), NirImportOptions.Default));
        Assert.Contains("node 'hidden' (IF): an IF without HybridSpike's subtractive-reset metadata", e.Message);
    }

    [Fact]
    public void A_nested_graph_is_refused_naming_it()
    {
        var graph = Exported();
        var e = Assert.Throws<NirImportException>(() => NirImport.ToNetwork(With(graph, "inner", NirGraph.Create([], [])), NirImportOptions.Default));
        Assert.Contains("node 'inner' (NIRGraph): a nested graph", e.Message);
    }
}
