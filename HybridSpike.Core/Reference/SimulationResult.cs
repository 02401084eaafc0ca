using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Reference;

/// <summary>
/// Receives the spike counts of every quantized population, step by step, while
/// <see cref="GoldenSimulator.Run"/> runs (for metrics and for spike-exact comparisons).
/// </summary>
public interface IActivityObserver
{
    /// <summary>
    /// Called once per step and quantized population, in evaluation order, right after the population
    /// is computed. <paramref name="counts"/> holds n for the whole batch, row-major [sample, unit]
    /// (batch × <see cref="Population.Size"/>), and is only valid during the call.
    /// </summary>
    void OnCounts(int step, Population population, ReadOnlySpan<int> counts);
}

/// <summary>
/// An <see cref="IActivityObserver"/> that also sees every payload (docs/telemetry.md, "Payload") while
/// <see cref="FixedPointSimulator.Run"/> runs: the input's and every population's, spiking or not, so that the
/// traffic a mesh would carry can be counted without a mesh (Mapping/Telemetry/OfflineTraffic.cs). Observing
/// changes no result.
/// </summary>
public interface IPayloadObserver : IActivityObserver
{
    /// <summary>
    /// Called once per step for the input (<paramref name="population"/> −1, before the populations) and then for every
    /// population index in evaluation order, after all of the step's populations are computed. <paramref name="payloads"/>
    /// is row-major [sample, unit] and is only valid during the call.
    /// </summary>
    void OnPayloads(int step, int population, ReadOnlySpan<long> payloads);
}

/// <summary>The result of a run.</summary>
/// <param name="Outputs">The output population's activity at the last step: batch rows × output-size columns.</param>
/// <param name="Predictions">The class of each sample: the index of the first maximum of its output row.</param>
public sealed record SimulationResult(Matrix Outputs, ImmutableArray<int> Predictions)
{
    public int Batch => Outputs.Rows;
    public int OutputSize => Outputs.Columns;
}

/// <summary>Every spike count of one population over a run (see <see cref="GoldenSimulator.RecordCounts"/>).</summary>
/// <param name="Counts">Row-major [step, sample, unit]: count of (t, b, i) at (t·Batch + b)·Units + i.</param>
public sealed record RecordedCounts(SimulationResult Result, string Population, int Steps, int Batch, int Units, ImmutableArray<int> Counts)
{
    public int Count(int step, int sample, int unit) => Counts[(step * Batch + sample) * Units + unit];

    /// <summary>The counts of one step, [sample, unit] (batch × units), as the observer saw them.</summary>
    public ReadOnlySpan<int> Step(int step) => Counts.AsSpan().Slice(step * Batch * Units, Batch * Units);

    /// <summary>
    /// Runs <paramref name="simulator"/> and keeps every spike count of one quantized population (the float64 golden
    /// model's and the fixed-point one's <c>RecordCounts</c>): ArgumentException naming a population that is not there
    /// (and those that are) or is not quantized.
    /// </summary>
    public static RecordedCounts Of(ISimulator simulator, string population, ReadOnlySpan<double> inputs, int batch, int steps)
    {
        var net = simulator.Network;
        var p = net.Populations.FirstOrDefault(q => q.Name == population)
            ?? throw new ArgumentException($"no population '{population}' (populations: {string.Join(", ", net.Populations.Select(q => q.Name))})", nameof(population));
        if (!p.IsQuantized) throw new ArgumentException($"population '{population}' is not quantized: it has no spike counts", nameof(population));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        var all = new int[checked(steps * batch * p.Size)];
        var result = simulator.Run(inputs, batch, steps, new Recorder(p, all));
        return new RecordedCounts(result, population, steps, batch, p.Size, System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(all));
    }

    private sealed class Recorder(Population population, int[] all) : IActivityObserver
    {
        public void OnCounts(int step, Population p, ReadOnlySpan<int> counts)
        {
            if (p.Name == population.Name) counts.CopyTo(all.AsSpan(step * counts.Length, counts.Length));
        }
    }
}

/// <summary>
/// A simulator of a network: the float64 golden model, the fixed-point golden model, and later the
/// actor mesh. One contract, so that one test suite and one evaluation serve them all.
/// </summary>
public interface ISimulator
{
    NetworkDescription Network { get; }

    /// <summary>Runs <paramref name="batch"/> independent sequences; inputs [batch, step, dim] row-major.</summary>
    SimulationResult Run(ReadOnlySpan<double> inputs, int batch, int steps, IActivityObserver? observer);
}
