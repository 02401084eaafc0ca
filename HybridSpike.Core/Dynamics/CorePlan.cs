using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Dynamics;

/// <summary>
/// One incoming connection of a core: the rows of the fixed-point weights that reach the core's units
/// (in the kernel's layout), where the source payloads come from, and the rows' scales.
/// </summary>
/// <param name="Source">Population index of the source, or -1 for the network input.</param>
/// <param name="SourceSize">Payloads per stream the source sends (its population's size, or the input's dimensions).</param>
/// <param name="OneStep">The core reads the source's payloads of the previous step (a recurrence) instead of this step's.</param>
/// <param name="SourceOmega">ω of a quantized source (its payload is n, its activity n/ω); null for the input and non-spiking sources (payload round(a·2^16)).</param>
/// <param name="Weights">The mantissas [core unit, source unit].</param>
/// <param name="RowExponents">One exponent per core unit: w = m·2^e.</param>
/// <param name="Integrates">
/// The source sends changes (send-on-delta, <see cref="Quantizers.SendsDeltas"/>): the core keeps each unit's sum
/// Σ_t acc_t (int64, exact) in its state and uses that, so its input is W·L/ω, the source's level.
/// </param>
public sealed record CoreConnection(int Source, int SourceSize, bool OneStep, double? SourceOmega, MantissaBlock Weights, ImmutableArray<int> RowExponents, bool Integrates)
{
    /// <summary>The rows' <see cref="FixedPoint.RowScale"/>s, computed once.</summary>
    public double[] RowScales { get; } = [.. RowExponents.Select(e => FixedPoint.RowScale(e, SourceOmega))];
}

/// <summary>
/// What one core computes, whatever the run: a piece of one population (units
/// <see cref="Start"/>..<see cref="Start"/>+<see cref="Count"/>−1) and its incoming connections in network
/// order. The fixed-point golden simulator runs one plan per whole population, the mesh one per placed piece;
/// both step it with <see cref="CoreStep"/>.
/// </summary>
/// <param name="PopulationIndex">The population's index in the network.</param>
public sealed record CorePlan(int PopulationIndex, Population Population, int Start, int Count, ImmutableArray<CoreConnection> Incoming)
{
    /// <summary>Incoming connections whose payloads are read a step late (their payloads are kept in the state between steps).</summary>
    public ImmutableArray<int> OneStepConnections { get; } = [.. Enumerable.Range(0, Incoming.Length).Where(i => Incoming[i].OneStep)];

    /// <summary>Incoming connections whose sums the core integrates (their sources send changes).</summary>
    public ImmutableArray<int> IntegratingConnections { get; } = [.. Enumerable.Range(0, Incoming.Length).Where(i => Incoming[i].Integrates)];

    /// <summary>The units' initial integer states (<see cref="FixedPoint.InitialState"/> of the rule's; zeros for a non-spiking population).</summary>
    internal long[] InitialStates { get; } = InitialStatesOf(Population, Start, Count);

    private static long[] InitialStatesOf(Population p, int start, int count)
    {
        var q = new long[count];
        if (!p.IsQuantized) return q;
        var v0 = p.InitialStates();
        for (int i = 0; i < count; i++) q[i] = FixedPoint.InitialState(v0[start + i]);
        return q;
    }

    /// <summary>
    /// One plan per population of <paramref name="network"/>, whole (the golden simulator's cores): every connection
    /// into it, with its weights laid out once for the kernel.
    /// </summary>
    public static ImmutableArray<CorePlan> ForPopulations(FixedPointNetwork network, bool densePairs)
    {
        ArgumentNullException.ThrowIfNull(network);
        var index = new NetworkIndex(network.Network);
        return [.. network.Network.Populations.Select((p, pi) => ForPiece(network, index, pi, 0, p.Size, densePairs))];
    }

    /// <summary>The plan of units <paramref name="start"/>..+<paramref name="count"/> of population <paramref name="populationIndex"/>.</summary>
    public static CorePlan ForPiece(FixedPointNetwork network, int populationIndex, int start, int count, bool densePairs)
    {
        ArgumentNullException.ThrowIfNull(network);
        return ForPiece(network, new NetworkIndex(network.Network), populationIndex, start, count, densePairs);
    }

    /// <summary>As <see cref="ForPiece(FixedPointNetwork, int, int, int, bool)"/>, with the network's lookups built once for all its pieces.</summary>
    public static CorePlan ForPiece(FixedPointNetwork network, NetworkIndex index, int populationIndex, int start, int count, bool densePairs)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(index);
        var net = network.Network;
        if (!ReferenceEquals(index.Network, net)) throw new ArgumentException("the index is of another network", nameof(index));
        var p = net.Populations[populationIndex];
        if (start < 0 || count <= 0 || start + count > p.Size)
            throw new ArgumentOutOfRangeException(nameof(count), $"units {start}..{start + count - 1} are not within population '{p.Name}' ({p.Size} units)");
        var incoming = ImmutableArray.CreateBuilder<CoreConnection>();
        foreach (int c in index.ConnectionsInto(populationIndex))
        {
            var conn = net.Connections[c];
            var w = network.Weights[c];
            int source = index.SourceIndex(conn);
            var sourcePopulation = source < 0 ? null : net.Populations[source];
            incoming.Add(new CoreConnection(source, w.Sources, conn.Delay == Delay.OneStep, sourcePopulation?.Omega,
                MantissaBlock.FromRowMajor(count, w.Sources, w.Mantissas.AsSpan(start * w.Sources, count * w.Sources), densePairs),
                w.RowExponents.Slice(start, count),
                sourcePopulation is { IsQuantized: true } sp && Quantizers.SendsDeltas(sp.Quantizer)));
        }
        return new CorePlan(populationIndex, p, start, count, incoming.ToImmutable());
    }
}
