using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Metrics;

/// <summary>
/// Streams one population's integer counts n over a test set and keeps only running sums
/// (<see cref="ActivityTotals"/>), so that memory does not grow with the set: Σ|n|, the number of
/// nonzero n, max|n| per unit, Σ_{n≠0} fan-out (synaptic events), Σ_{n≠0} fan-out × significant bits,
/// the numbers of sequences and (sample, step) pairs, and a histogram of each (sequence, unit)'s max|n| within its
/// sequence (the batch being fed keeps one maximum per (sample, unit) until the next batch starts). A non-quantized population counts only
/// sequences and steps (all its synapses are active every step); its counts may be passed or left empty.
/// <para>Feed it in any split: whole batches of sequences with <see cref="Add"/> (training's evaluation,
/// [sample, step, unit]) or one step of a batch at a time with <see cref="AddStep"/> (the golden simulator,
/// [sample, unit]); the totals are the same. Not thread-safe: give each worker its own accumulators and
/// <see cref="ActivityTotals.Combine"/> their totals.</para>
/// </summary>
public sealed class ActivityAccumulator
{
    private readonly int[] _fanOut;
    private readonly uint[] _max;
    private long _samples, _sampleSteps, _sumMagnitude, _nonzero, _events, _weightedBits;
    // The per-sequence maxima: the histogram of the batches already over, and the batch being fed ([sample, unit]).
    private readonly SortedDictionary<long, long> _sequenceMaxima = [];
    private uint[] _open = [];
    private int _openSamples;

    /// <param name="population">The population's name (errors and the report name it).</param>
    /// <param name="units">Its unit count U.</param>
    /// <param name="isQuantized">Whether it sends integer counts (spiking); see <see cref="Population.IsQuantized"/>.</param>
    /// <param name="isSigned">Whether its activation can be negative; see <see cref="Activations.IsSigned"/>.</param>
    /// <param name="fanOut">Outgoing synapses of each unit; see <see cref="NetworkDescription.FanOut"/>. Copied.</param>
    public ActivityAccumulator(string population, int units, bool isQuantized, bool isSigned, int[] fanOut)
    {
        ArgumentException.ThrowIfNullOrEmpty(population);
        ArgumentNullException.ThrowIfNull(fanOut);
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, $"population '{population}': unit count must be positive");
        if (fanOut.Length != units) throw new ArgumentException($"population '{population}': {fanOut.Length} fan-outs for {units} units", nameof(fanOut));
        for (int u = 0; u < units; u++)
            if (fanOut[u] < 0) throw new ArgumentException($"population '{population}': unit {u} has fan-out {fanOut[u]}, must not be negative", nameof(fanOut));
        Population = population;
        Units = units;
        IsQuantized = isQuantized;
        IsSigned = isSigned;
        _fanOut = (int[])fanOut.Clone();
        _max = isQuantized ? new uint[units] : [];
    }

    /// <summary>The accumulator of population <paramref name="population"/> of <paramref name="network"/>,
    /// with its size, quantization, sign (<see cref="Activations.IsSigned"/>) and fan-out.</summary>
    public static ActivityAccumulator For(NetworkDescription network, string population)
    {
        ArgumentNullException.ThrowIfNull(network);
        var p = network.Population(population);
        return new ActivityAccumulator(p.Name, p.Size, p.IsQuantized, Activations.IsSigned(p.Activation), network.FanOut(p.Name));
    }

    /// <summary>One accumulator per population of <paramref name="network"/>, in its population order.</summary>
    public static ImmutableArray<ActivityAccumulator> ForNetwork(NetworkDescription network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return [.. network.Populations.Select(p => For(network, p.Name))];
    }

    public string Population { get; }
    public int Units { get; }
    public bool IsQuantized { get; }
    public bool IsSigned { get; }

    /// <summary>
    /// Adds the counts of <paramref name="samples"/> sequences over <paramref name="steps"/> steps, laid out
    /// [sample, step, unit] row-major (length samples × steps × U; may be empty for a non-quantized population).
    /// The sequences are counted as new ones when <paramref name="firstStep"/> is 0 (the block starts them);
    /// a later block of the same sequences passes the index of its first step. A block of no steps adds nothing.
    /// </summary>
    public void Add(ReadOnlySpan<int> counts, int samples, int steps, int firstStep = 0)
    {
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, $"population '{Population}': sample count must not be negative");
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"population '{Population}': step count must not be negative");
        if (firstStep < 0) throw new ArgumentOutOfRangeException(nameof(firstStep), firstStep, $"population '{Population}': first step must not be negative");
        long rows = (long)samples * steps;
        long need = rows * Units;
        // A non-quantized population's counts are not used; they may be passed (checked) or left out.
        if (counts.Length != need && (IsQuantized || !counts.IsEmpty))
            throw new ArgumentException(
                $"population '{Population}': {counts.Length} counts for {samples} samples x {steps} steps x {Units} units (need {need})",
                nameof(counts));
        if (IsQuantized && steps > 0)
        {
            // Step 0 starts a batch of sequences: the one before is over. A later block continues the open batch.
            // A later block covers the batch's first sequences (all of them, or fewer); one of more sequences than the
            // batch was started with takes the rest as the batch's too.
            if (firstStep == 0) StartBatch(samples);
            else if (samples > _openSamples) WidenBatch(samples);
            Accumulate(counts, steps);
        }
        if (firstStep == 0 && steps > 0) _samples += samples;
        _sampleSteps += rows;
    }

    /// <summary>
    /// Adds one step (index <paramref name="step"/> within the sequences, from 0) of a batch of
    /// <paramref name="samples"/> sequences, laid out [sample, unit] (length samples × U; may be empty for a
    /// non-quantized population). Step 0 counts the batch's sequences. Same as <c>Add(counts, samples, 1, step)</c>.
    /// </summary>
    public void AddStep(ReadOnlySpan<int> counts, int samples, int step) => Add(counts, samples, 1, step);

    /// <summary>A snapshot of the sums so far (the open batch's sequences counted as they stand).</summary>
    public ActivityTotals Totals()
    {
        var max = ImmutableArray.CreateBuilder<long>(_max.Length);
        foreach (uint m in _max) max.Add(m);
        var maxima = ImmutableSortedDictionary.CreateBuilder<long, long>();
        foreach (var (m, count) in _sequenceMaxima) maxima[m] = count;
        for (int i = 0; i < _openSamples * Units; i++) maxima[_open[i]] = maxima.GetValueOrDefault(_open[i]) + 1;
        return new ActivityTotals(
            Population, Units, IsQuantized, IsSigned, ImmutableArray.Create(_fanOut),
            _samples, _sampleSteps, _sumMagnitude, _nonzero, max.MoveToImmutable(), _events, _weightedBits, maxima.ToImmutable());
    }

    private void WidenBatch(int samples)
    {
        long need = (long)samples * Units;
        if (_open.Length < need) Array.Resize(ref _open, (int)need);
        // The room past the batch may hold an earlier, larger batch's maxima.
        Array.Clear(_open, _openSamples * Units, (int)need - _openSamples * Units);
        _openSamples = samples;
    }

    /// <summary>Closes the open batch (its maxima go into the histogram) and opens one of <paramref name="samples"/> sequences.</summary>
    private void StartBatch(int samples)
    {
        for (int i = 0; i < _openSamples * Units; i++) _sequenceMaxima[_open[i]] = _sequenceMaxima.GetValueOrDefault(_open[i]) + 1;
        long need = (long)samples * Units;
        if (_open.Length < need) _open = new uint[need];
        else Array.Clear(_open, 0, (int)need);
        _openSamples = samples;
    }

    // The hot loop: a psMNIST test set is 2,000 × 784 × 212 ≈ 3.3e8 counts for the hidden population.
    // Branch-free, because counts are close to random and a branch on n = 0 mispredicts often: a zero
    // count adds 0 to every sum (its weight f is 0). About 3-4 ns per count here; locals keep the sums
    // in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls with long loops: skip tier-0 code
    private void Accumulate(ReadOnlySpan<int> counts, int steps)
    {
        int units = Units;
        var fanOut = _fanOut;
        var max = _max;
        long sum = 0, nonzero = 0, events = 0, bits = 0;
        for (int start = 0, r = 0; start < counts.Length; start += units, r++)
        {
            var row = counts.Slice(start, units);
            // Rows are [sample, step]: this row's sequence's maxima.
            var open = _open.AsSpan(r / steps * units, units);
            for (int u = 0; u < row.Length; u++)
            {
                uint a = ActivityMath.Magnitude(row[u]);
                long nz = (long)((ulong)-(long)a >> 63);    // 1 if n ≠ 0
                long f = fanOut[u] * nz;
                sum += a;
                nonzero += nz;
                events += f;
                bits += f * ActivityMath.SignificantBitsOfNonzero(a);   // f = 0 where n = 0
                max[u] = Math.Max(max[u], a);
                open[u] = Math.Max(open[u], a);
            }
        }
        _sumMagnitude += sum;
        _nonzero += nonzero;
        _events += events;
        _weightedBits += bits;
    }
}
