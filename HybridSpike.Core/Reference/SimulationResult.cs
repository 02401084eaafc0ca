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
