using System.Collections.Immutable;

namespace HybridSpike.Core.Metrics;

/// <summary>
/// What an <see cref="ActivityAccumulator"/> has summed for one population: an immutable snapshot
/// that <see cref="PopulationMetrics"/> and <see cref="MetricsReport"/> turn into the metrics of
/// docs/metrics.md. Totals of disjoint parts of a test set <see cref="Combine"/> into the totals of
/// the whole (sums add, maxima take the larger), so workers can each keep their own accumulators.
/// </summary>
/// <param name="Population">The population's name.</param>
/// <param name="Units">U, the population's unit count.</param>
/// <param name="IsQuantized">Whether the population sends integer counts n (spiking); when false only
/// <paramref name="Samples"/> and <paramref name="SampleSteps"/> are counted and every count field is zero.</param>
/// <param name="IsSigned">Whether its activation can be negative, so its counts carry a sign.</param>
/// <param name="FanOut">Outgoing synapses of each unit (nonzero weights over all its outgoing connections).</param>
/// <param name="Samples">Sequences seen (S).</param>
/// <param name="SampleSteps">(sample, step) pairs seen: Σ over sequences of their length.</param>
/// <param name="SumMagnitude">Σ |n| over all units, steps and samples.</param>
/// <param name="Nonzero">Number of (unit, step, sample) with n ≠ 0.</param>
/// <param name="MaxMagnitude">Per unit, max |n| over all steps and samples (empty when not quantized).</param>
/// <param name="SynapticEvents">Σ over nonzero n of the unit's fan-out: synapses that received a nonzero count.</param>
/// <param name="WeightedSignificantBits">Σ over nonzero n of fan-out × significant bits of |n|.</param>
/// <param name="SequenceMaxima">For each (sequence, unit), the largest |n| within that sequence, as a histogram: value →
/// how many pairs had it (empty when not quantized). The per-sequence reading of activity bits comes from it.</param>
public sealed record ActivityTotals(
    string Population,
    int Units,
    bool IsQuantized,
    bool IsSigned,
    ImmutableArray<int> FanOut,
    long Samples,
    long SampleSteps,
    long SumMagnitude,
    long Nonzero,
    ImmutableArray<long> MaxMagnitude,
    long SynapticEvents,
    long WeightedSignificantBits,
    ImmutableSortedDictionary<long, long> SequenceMaxima)
{
    /// <summary>(unit, step, sample) triples seen: U × <see cref="SampleSteps"/> (zero when not quantized).</summary>
    public long Entries => IsQuantized ? SampleSteps * Units : 0;

    /// <summary>Number of (unit, step, sample) with n = 0.</summary>
    public long Zeros => Entries - Nonzero;

    /// <summary>Outgoing synapses of the population: Σ_u fan-out(u).</summary>
    public long Synapses
    {
        get
        {
            long s = 0;
            foreach (int f in FanOut.AsSpan()) s += f;
            return s;
        }
    }

    /// <summary>The totals of this part and <paramref name="other"/> (another part of the same test set).</summary>
    public static ActivityTotals Combine(ActivityTotals first, ActivityTotals other)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(other);
        if (first.Population != other.Population || first.Units != other.Units || first.IsQuantized != other.IsQuantized
            || first.IsSigned != other.IsSigned || !first.FanOut.AsSpan().SequenceEqual(other.FanOut.AsSpan()))
            throw new ArgumentException($"cannot combine totals of population '{first.Population}' ({first.Units} units) with those of '{other.Population}' ({other.Units} units): the populations differ");
        var max = first.MaxMagnitude;
        if (first.IsQuantized)
        {
            var m = new long[first.Units];
            for (int u = 0; u < m.Length; u++) m[u] = Math.Max(first.MaxMagnitude[u], other.MaxMagnitude[u]);
            max = ImmutableArray.Create(m);
        }
        return first with
        {
            Samples = first.Samples + other.Samples,
            SampleSteps = first.SampleSteps + other.SampleSteps,
            SumMagnitude = first.SumMagnitude + other.SumMagnitude,
            Nonzero = first.Nonzero + other.Nonzero,
            MaxMagnitude = max,
            SynapticEvents = first.SynapticEvents + other.SynapticEvents,
            WeightedSignificantBits = first.WeightedSignificantBits + other.WeightedSignificantBits,
            SequenceMaxima = Merge(first.SequenceMaxima, other.SequenceMaxima),
        };
    }

    /// <summary>Two histograms of per-sequence maxima as one: the counts of each value add.</summary>
    internal static ImmutableSortedDictionary<long, long> Merge(ImmutableSortedDictionary<long, long> a, ImmutableSortedDictionary<long, long> b)
    {
        var merged = a.ToBuilder();
        foreach (var (m, count) in b) merged[m] = merged.GetValueOrDefault(m) + count;
        return merged.ToImmutable();
    }

    /// <summary>Value equality, comparing the arrays element by element.</summary>
    public bool Equals(ActivityTotals? other) =>
        other is not null
        && Population == other.Population && Units == other.Units && IsQuantized == other.IsQuantized && IsSigned == other.IsSigned
        && FanOut.AsSpan().SequenceEqual(other.FanOut.AsSpan())
        && Samples == other.Samples && SampleSteps == other.SampleSteps
        && SumMagnitude == other.SumMagnitude && Nonzero == other.Nonzero
        && MaxMagnitude.AsSpan().SequenceEqual(other.MaxMagnitude.AsSpan())
        && SynapticEvents == other.SynapticEvents && WeightedSignificantBits == other.WeightedSignificantBits
        && SequenceMaxima.SequenceEqual(other.SequenceMaxima);

    public override int GetHashCode() =>
        HashCode.Combine(Population, Units, Samples, SampleSteps, SumMagnitude, Nonzero, SynapticEvents, WeightedSignificantBits);
}
