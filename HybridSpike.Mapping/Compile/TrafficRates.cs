using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Reference;

namespace HybridSpike.Mapping.Compile;

/// <summary>
/// Measured traffic for placement: a short run of the fixed-point golden model (what the mesh
/// computes spike for spike, docs/mesh.md) counts, per quantized population, the nonzero payloads
/// per unit per step — the rate a unit's packets go out at. nengo-loihi's <c>GreedyInterchip</c>
/// reads the same kind of estimate from measured firing rates (nengo_loihi/hardware/allocators.py).
/// Non-spiking populations are not observed and are left out, so <see cref="TrafficEstimate.FromRates"/>
/// counts them as sending every step. Pass the result as <see cref="CompileOptions.TrafficRates"/>.
/// </summary>
public static class TrafficRates
{
    /// <summary>
    /// Runs <paramref name="mesh"/>'s fixed-point network on <paramref name="inputs"/> ([batch, step,
    /// dim] row-major) and returns, per quantized population (by name, sorted), nonzero counts ÷
    /// (units × batch × steps). The names are the compiled network's (after lowering), the ones the
    /// compiler's split uses when compiled again with the same options.
    /// </summary>
    public static ImmutableSortedDictionary<string, double> Measure(CompiledMesh mesh, ReadOnlySpan<double> inputs, int batch, int steps)
    {
        if (batch < 1) throw new ArgumentException($"traffic rates: batch must be 1 or more, got {batch}", nameof(batch));
        if (steps < 1) throw new ArgumentException($"traffic rates: steps must be 1 or more, got {steps}", nameof(steps));
        var observer = new NonZero();
        FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, batch, steps, observer);
        return observer.Nonzero.ToImmutableSortedDictionary(
            e => e.Key,
            e => (double)e.Value / ((double)observer.Units[e.Key] * batch * steps),
            StringComparer.Ordinal);
    }

    private sealed class NonZero : IActivityObserver
    {
        public Dictionary<string, long> Nonzero { get; } = [];
        public Dictionary<string, int> Units { get; } = [];

        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts)
        {
            long n = 0;
            foreach (var c in counts) if (c != 0) n++;
            Nonzero[population.Name] = Nonzero.GetValueOrDefault(population.Name) + n;
            Units[population.Name] = population.Size;
        }
    }
}
