using System.Collections.Immutable;
using HybridSpike.Core.Network;

namespace HybridSpike.Core.Metrics;

/// <summary>
/// The metrics of one population over a test set (docs/metrics.md). With U units, fan-out f_u,
/// counts n over the P = Σ_sequences length (sample, step) pairs, and sums over nonzero n only where marked:
/// <code>
///   spikes per unit per step = Σ|n| / (U·P)
///   zero fraction            = #{n = 0} / (U·P)
///   activity bits            = (1/U) Σ_u log2(1 + max|n_u|) + (signed ? 1 : 0)          (max over the whole test set)
///   activity bits per sequence = (1/(S·U)) Σ_s Σ_u log2(1 + max_t|n_{s,t,u}|) + (signed ? 1 : 0)   (method.md)
///   significant bits         = Σ_{n≠0} f_u·sb(|n|) / Σ_{n≠0} f_u
///   synaptic ops per step    = Σ_{n≠0} f_u / P          (spiking view)
///                            = Σ_u f_u                  (dense view)
///   neuron updates per step  = U
/// </code>
/// A non-quantized population has no counts: its activity figures are null and both views are dense.
/// </summary>
/// <param name="Synapses">Outgoing synapses Σ_u f_u (nonzero weights).</param>
/// <param name="SpikesPerUnitPerStep">Mean |n| per unit per step per sample (counts/unit/step); null when not quantized.</param>
/// <param name="ZeroFraction">Share of (unit, step, sample) with n = 0, in [0, 1]; null when not quantized.</param>
/// <param name="ActivityBits">Bits per unit to carry the largest count seen over the whole test set; null when not quantized.</param>
/// <param name="SignificantBits">Mean significant bits per synaptic event (bits); null when not quantized
/// or when no nonzero count reached a synapse.</param>
/// <param name="ActivityBitsPerSequence">Bits per unit to carry each sequence's largest count, averaged over the sequences
/// (method.md's reading); null when not quantized.</param>
/// <param name="MaxMagnitude">Largest |n| over all units, steps and samples; null when not quantized.</param>
/// <param name="SpikingSynapticOpsPerStep">Synaptic ops per step and sample on a spiking device.</param>
/// <param name="DenseSynapticOpsPerStep">Synaptic ops per step and sample when every synapse is computed.</param>
/// <param name="NeuronUpdatesPerStep">Neuron updates per step and sample: U.</param>
public sealed record PopulationMetrics(
    string Name,
    int Units,
    bool IsQuantized,
    bool IsSigned,
    long Synapses,
    double? SpikesPerUnitPerStep,
    double? ZeroFraction,
    double? ActivityBits,
    double? SignificantBits,
    long? MaxMagnitude,
    double SpikingSynapticOpsPerStep,
    double DenseSynapticOpsPerStep,
    long NeuronUpdatesPerStep,
    double? ActivityBitsPerSequence)
{
    /// <summary>The metrics of <paramref name="totals"/>, which must cover at least one step.</summary>
    public static PopulationMetrics From(ActivityTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        if (totals.SampleSteps <= 0)
            throw new ArgumentException($"population '{totals.Population}': no steps accumulated", nameof(totals));
        long synapses = totals.Synapses;
        if (!totals.IsQuantized)
            return new PopulationMetrics(totals.Population, totals.Units, false, totals.IsSigned, synapses,
                null, null, null, null, null, synapses, synapses, totals.Units, null);
        double entries = totals.Entries;
        return new PopulationMetrics(
            totals.Population, totals.Units, true, totals.IsSigned, synapses,
            SpikesPerUnitPerStep: totals.SumMagnitude / entries,
            ZeroFraction: totals.Zeros / entries,
            ActivityBits: ActivityMath.ActivityBits(totals.MaxMagnitude.AsSpan(), totals.IsSigned),
            SignificantBits: totals.SynapticEvents > 0 ? (double)totals.WeightedSignificantBits / totals.SynapticEvents : null,
            MaxMagnitude: totals.MaxMagnitude.Max(),
            SpikingSynapticOpsPerStep: (double)totals.SynapticEvents / totals.SampleSteps,
            DenseSynapticOpsPerStep: synapses,
            NeuronUpdatesPerStep: totals.Units,
            ActivityBitsPerSequence: ActivityMath.ActivityBitsPerSequence(totals.SequenceMaxima, totals.IsSigned));
    }
}

/// <summary>
/// The whole network's metrics. Activity figures pool the quantized populations (null when there are none):
/// spikes per unit per step and zero fraction over all their (unit, step, sample) triples, activity bits (both
/// readings) as the unit-weighted mean of the populations' figures, significant bits over all their synaptic events.
/// Operation counts add up every population plus the input's synapses, which count as dense on every
/// device (the input is a real value per step).
/// </summary>
/// <param name="Accuracy">Share of sequences classified correctly, in [0, 1], as the caller computed it; null if not given.</param>
/// <param name="Loss">Mean loss per sequence as the caller computed it (e.g. cross-entropy, nats); null if not given.</param>
/// <param name="Samples">Sequences in the test set.</param>
/// <param name="StepsPerInference">T: (sample, step) pairs / sequences, the mean sequence length.</param>
/// <param name="Units">Units of all populations.</param>
/// <param name="QuantizedUnits">Units of the quantized populations.</param>
/// <param name="InputSynapses">Synapses from the network input (nonzero weights of the "input" connections).</param>
/// <param name="Synapses">All synapses: the populations' outgoing ones plus the input's.</param>
public sealed record OverallMetrics(
    double? Accuracy,
    double? Loss,
    long Samples,
    double StepsPerInference,
    long Units,
    long QuantizedUnits,
    long InputSynapses,
    long Synapses,
    double? SpikesPerUnitPerStep,
    double? ZeroFraction,
    double? ActivityBits,
    double? SignificantBits,
    double SpikingSynapticOpsPerStep,
    double DenseSynapticOpsPerStep,
    long NeuronUpdatesPerStep,
    double? ActivityBitsPerSequence)
{
    /// <summary>The operation counts the <see cref="EnergyModel"/> prices.</summary>
    public OperationCounts Operations() =>
        new(DenseSynapticOpsPerStep, SpikingSynapticOpsPerStep, NeuronUpdatesPerStep, StepsPerInference);
}

/// <summary>
/// The metrics of a network on a test set: one row per population (in the network's order), the overall
/// row, and the energy per inference on each device. Build it with <see cref="Create"/> from the
/// accumulators of <see cref="ActivityAccumulator.ForNetwork"/> after feeding the whole set.
/// </summary>
public sealed record MetricsReport(
    ImmutableArray<PopulationMetrics> Populations,
    OverallMetrics Overall,
    ImmutableArray<DeviceEnergy> Energy)
{
    /// <summary>The report of <paramref name="network"/> from its accumulators (one per population, any order),
    /// with the caller's <paramref name="accuracy"/> and <paramref name="loss"/>, priced on
    /// <paramref name="devices"/> (default: every device of <see cref="EnergyModel.Devices"/>).</summary>
    public static MetricsReport Create(
        NetworkDescription network,
        IEnumerable<ActivityAccumulator> accumulators,
        double? accuracy,
        double? loss,
        IEnumerable<EnergyDevice>? devices = null)
    {
        ArgumentNullException.ThrowIfNull(accumulators);
        return FromTotals(network, accumulators.Select(a => a.Totals()), accuracy, loss, devices);
    }

    /// <summary>As <see cref="Create"/>, from totals (e.g. combined from several workers with
    /// <see cref="ActivityTotals.Combine"/>). Every population needs exactly one totals that matches it
    /// (units, quantization, sign, fan-out), and all must cover the same sequences and steps; a non-quantized
    /// population that was never fed counts as having seen the same set as the others.</summary>
    public static MetricsReport FromTotals(
        NetworkDescription network,
        IEnumerable<ActivityTotals> totals,
        double? accuracy,
        double? loss,
        IEnumerable<EnergyDevice>? devices = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(totals);
        if (accuracy is { } acc && !(acc >= 0 && acc <= 1))
            throw new ArgumentOutOfRangeException(nameof(accuracy), acc, "accuracy is a share of sequences, in [0, 1]");
        if (loss is { } l && !double.IsFinite(l))
            throw new ArgumentOutOfRangeException(nameof(loss), l, "loss must be finite");

        var byName = new Dictionary<string, ActivityTotals>();
        foreach (var t in totals)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(totals));
            if (!network.Populations.Any(p => p.Name == t.Population))
                throw new ArgumentException($"population '{t.Population}': not in the network");
            if (!byName.TryAdd(t.Population, t))
                throw new ArgumentException($"population '{t.Population}': given twice");
        }

        // The test set's size comes from the first population fed. A non-quantized population that was
        // never fed (the golden simulator reports only quantized ones) is taken to have seen the same set.
        ActivityTotals? first = network.Populations
            .Select(p => byName.TryGetValue(p.Name, out var t) ? t : null)
            .FirstOrDefault(t => t is not null && (t.Samples > 0 || t.SampleSteps > 0));
        if (first is null) throw new ArgumentException("no population was fed any counts (feed at least the quantized ones, or one population if none is quantized)");
        if (first.Samples <= 0 || first.SampleSteps <= 0)
            throw new ArgumentException($"population '{first.Population}': {first.SampleSteps} sample-steps but no sequence started (feed step 0 of each batch)");

        var rows = ImmutableArray.CreateBuilder<PopulationMetrics>(network.Populations.Length);
        var used = new List<ActivityTotals>();
        foreach (var p in network.Populations)
        {
            if (!byName.TryGetValue(p.Name, out var t))
                throw new ArgumentException($"population '{p.Name}': no activity totals");
            CheckMatches(network, p, t);
            if (!t.IsQuantized && t.Samples == 0 && t.SampleSteps == 0)
                t = t with { Samples = first.Samples, SampleSteps = first.SampleSteps };
            if (t.Samples != first.Samples || t.SampleSteps != first.SampleSteps)
                throw new ArgumentException(
                    $"population '{p.Name}': {t.Samples} sequences / {t.SampleSteps} sample-steps, but population '{first.Population}' saw {first.Samples} / {first.SampleSteps}; feed every population the same test set");
            rows.Add(PopulationMetrics.From(t));
            used.Add(t);
        }

        long inputSynapses = 0;
        foreach (var c in network.Connections.Where(c => c.Source == NetworkDescription.InputName))
            foreach (int f in c.Weights.FanOut()) inputSynapses += f;

        var q = used.Where(t => t.IsQuantized).ToList();
        long entries = q.Sum(t => t.Entries);
        long events = q.Sum(t => t.SynapticEvents);
        long quantizedUnits = q.Sum(t => (long)t.Units);
        var pops = rows.MoveToImmutable();
        var overall = new OverallMetrics(
            accuracy, loss,
            Samples: first.Samples,
            StepsPerInference: (double)first.SampleSteps / first.Samples,
            Units: pops.Sum(r => (long)r.Units),
            QuantizedUnits: quantizedUnits,
            InputSynapses: inputSynapses,
            Synapses: pops.Sum(r => r.Synapses) + inputSynapses,
            SpikesPerUnitPerStep: q.Count > 0 ? (double)q.Sum(t => t.SumMagnitude) / entries : null,
            ZeroFraction: q.Count > 0 ? (double)q.Sum(t => t.Zeros) / entries : null,
            ActivityBits: q.Count > 0 ? pops.Where(r => r.IsQuantized).Sum(r => r.Units * r.ActivityBits.GetValueOrDefault()) / quantizedUnits : null,
            SignificantBits: events > 0 ? (double)q.Sum(t => t.WeightedSignificantBits) / events : null,
            SpikingSynapticOpsPerStep: pops.Sum(r => r.SpikingSynapticOpsPerStep) + inputSynapses,
            DenseSynapticOpsPerStep: pops.Sum(r => r.DenseSynapticOpsPerStep) + inputSynapses,
            NeuronUpdatesPerStep: pops.Sum(r => r.NeuronUpdatesPerStep),
            ActivityBitsPerSequence: q.Count > 0 ? pops.Where(r => r.IsQuantized).Sum(r => r.Units * r.ActivityBitsPerSequence.GetValueOrDefault()) / quantizedUnits : null);

        var ops = overall.Operations();
        var energy = (devices ?? EnergyModel.Devices).Select(d => EnergyModel.PerInference(d, ops)).ToImmutableArray();
        return new MetricsReport(pops, overall, energy);
    }

    /// <summary>The row of population <paramref name="name"/>.</summary>
    public PopulationMetrics Population(string name) =>
        Populations.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"no population '{name}' in the report");

    /// <summary>The energy per inference on device <paramref name="device"/> (case-insensitive).</summary>
    public DeviceEnergy EnergyOn(string device) =>
        Energy.FirstOrDefault(e => string.Equals(e.Device, device, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"no energy for device '{device}' in the report; it has: {string.Join(", ", Energy.Select(e => e.Device))}");

    /// <summary>Value equality, comparing the rows element by element.</summary>
    public bool Equals(MetricsReport? other) =>
        other is not null && Overall == other.Overall
        && Populations.AsSpan().SequenceEqual(other.Populations.AsSpan())
        && Energy.AsSpan().SequenceEqual(other.Energy.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Overall, Populations.Length, Energy.Length);

    private static void CheckMatches(NetworkDescription network, Population p, ActivityTotals t)
    {
        bool signed = Numerics.Activations.IsSigned(p.Activation);
        if (t.Units != p.Size || t.IsQuantized != p.IsQuantized || t.IsSigned != signed)
            throw new ArgumentException(
                $"population '{p.Name}': totals are for {t.Units} units (quantized {t.IsQuantized}, signed {t.IsSigned}), the network has {p.Size} (quantized {p.IsQuantized}, signed {signed})");
        if (!t.FanOut.AsSpan().SequenceEqual(network.FanOut(p.Name)))
            throw new ArgumentException($"population '{p.Name}': the totals' fan-out differs from the network's");
    }
}
