namespace HybridSpike.Core.Interchange.Nir;

/// <summary>
/// The names of HybridSpike's metadata in a NIR file (docs/nir.md, "HybridSpike's metadata"). All of it sits in one
/// group, <c>metadata/hybridspike</c>, of the graph and of the nodes it concerns, so that another tool sees at a glance
/// what is HybridSpike's.
/// </summary>
public static class NirExtension
{
    /// <summary>The metadata group that holds HybridSpike's entries.</summary>
    public const string Group = "hybridspike";

    /// <summary>Graph: "hybridspike-nir", so that the importer knows the file's conventions are its own.</summary>
    public const string Format = "format";
    public const string FormatValue = "hybridspike-nir";

    /// <summary>Graph: the version of these conventions (an integer).</summary>
    public const string FormatVersion = "format_version";
    public const long FormatVersionValue = 1;

    /// <summary>Graph: the HybridSpike version that wrote the file.</summary>
    public const string ToolVersion = "tool_version";

    /// <summary>Graph: the time step the graph's time unit is (1: one step; Delay 1 = one step, Integrator r per step).</summary>
    public const string TimeStep = "dt";

    /// <summary>Graph: the populations in evaluation order (strings).</summary>
    public const string Populations = "populations";

    /// <summary>Graph: the network input's description; the input sequences' dataset and seeds (when the artifact names them).</summary>
    public const string InputDescription = "input_description";
    public const string SequenceDataset = "sequence_dataset";
    public const string SequenceSplitSeed = "sequence_split_seed";
    public const string SequencePermutationSeed = "sequence_permutation_seed";

    /// <summary>Graph: the source artifact's provenance (model kind, dataset, training config JSON) and digest.</summary>
    public const string ModelKind = "model_kind";
    public const string Dataset = "dataset";
    public const string ConfigJson = "config_json";
    public const string ArtifactDigest = "artifact_digest";

    /// <summary>Population node: "uniform" or "zeros", and the seed (uint64) of v₀.</summary>
    public const string InitialState = "initial_state";
    public const string InitialSeed = "initial_seed";

    /// <summary>IF node: the extension's name; its value <see cref="SubtractiveResetValue"/>.</summary>
    public const string Extension = "extension";
    public const string SubtractiveResetValue = "subtractive-reset";

    /// <summary>IF node: "subtractive" (v ← v − n), "graded" (n = ⌊v⌋, any integer), ω (float64), v₀ per unit, and a sentence for people.</summary>
    public const string Reset = "reset";
    public const string Counts = "counts";
    public const string Omega = "omega";
    public const string VInitial = "v_initial";
    public const string Note = "note";

    /// <summary>Weight node: "bias" marks the zero-weight Affine that only carries the bias of a population without inputs.</summary>
    public const string Role = "role";
    public const string BiasRole = "bias";
    public const string ActivityRole = "activity";

    /// <summary>Weight node: the synapses of a sparse connection (int64 target and source indices, in stored order).</summary>
    public const string SparseTarget = "sparse_target";
    public const string SparseSource = "sparse_source";
}
