using System.Collections.Immutable;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Reference;

/// <summary>
/// The golden simulator of a <see cref="FixedPointNetwork"/>: the definition the actor mesh is checked
/// against, spike for spike. Per step, for each population in order:
/// <code>
///   payload of a source:  n (quantized), round(a·2^16) (non-spiking population, and the input)
///   acc_c,i  = Σ_j m_c,ij · payload_j                        (int64: exact, so order-free)
///   x_i      = bias_i + Σ_c acc_c,i · 2^(e_c,i) · scale_c     (float64, connections in network order)
///   scale_c  = 1/ω of a quantized source (applied as a division), 2^−16 otherwise
///   quantized: Q32 quantizer on f(x) (<see cref="FixedPoint.QuantizerStep(QuantizerRule, Span{long}, ReadOnlySpan{double}, double, Span{int}, int)"/>), a = n/ω
///   otherwise: a = f(x)
/// </code>
/// Same-step connections read the source's payload of this step, one-step ones the previous step's
/// (zero at t = 0). Because each connection's sum is an integer, a mesh may add its parts in any order
/// and on any core and still get exactly these x.
/// </summary>
public sealed class FixedPointSimulator : ISimulator
{
    private readonly FixedPointNetwork _net;
    private readonly ImmutableArray<CorePlan> _plans;   // one per population, whole, in evaluation order
    private readonly int _output;
    private long _events;

    private FixedPointSimulator(FixedPointNetwork net)
    {
        net.Validate();
        _net = net;
        _plans = CorePlan.ForPopulations(net, DensePairsFor(net));
        _output = net.Network.Populations.IndexOf(net.Network.Population(net.Network.Output.Population));
    }

    /// <summary>
    /// Whether blocks keep the dense-pairs copy (a second byte per synapse, ~8% faster on the hsLMU): only for
    /// networks of at most 10^7 synapses, so that a large network stays at one byte per 8-bit synapse.
    /// </summary>
    public static bool DensePairsFor(FixedPointNetwork network) => network.Weights.Sum(w => (long)w.Mantissas.Length) <= 10_000_000;

    /// <summary>Synaptic events of every run so far: nonzero payloads meeting nonzero weights (docs/mesh.md).</summary>
    public long SynapticEvents => Interlocked.Read(ref _events);

    public static FixedPointSimulator Create(FixedPointNetwork network) => new(network);

    public FixedPointNetwork FixedPointNetwork => _net;

    public NetworkDescription Network => _net.Network;

    /// <summary>Runs and keeps every spike count of one quantized population (<see cref="RecordedCounts.Of"/>): what the mesh's cores send.</summary>
    public RecordedCounts RecordCounts(string population, ReadOnlySpan<double> inputs, int batch, int steps) =>
        RecordedCounts.Of(this, population, inputs, batch, steps);

    /// <summary>
    /// Runs <paramref name="batch"/> sequences (inputs [batch, step, dim]); sequences are independent. Each population is
    /// one core (<see cref="CorePlan.ForPopulations"/>) with a slot per sequence, stepped by <see cref="CoreStep"/>: the
    /// step every mesh core runs.
    /// </summary>
    public SimulationResult Run(ReadOnlySpan<double> inputs, int batch, int steps, IActivityObserver? observer = null)
    {
        var net = _net.Network;
        int dims = net.Input.Dimensions;
        if (inputs.Length != batch * steps * dims)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {batch} sequences x {steps} steps x {dims} dims need {batch * steps * dims}");
        var pops = net.Populations;
        var states = _plans.Select(p => CoreState.Initial(p, batch)).ToArray();
        var scratch = _plans.Select(p => new StepScratch(p)).ToArray();
        var payloads = pops.Select(p => new long[batch * p.Size]).ToArray();     // this step's, [slot, unit]
        var counts = pops.Select(p => p.IsQuantized ? new int[batch * p.Size] : []).ToArray();
        var outputs = new double[batch * pops[_output].Size];
        var input = new long[batch * dims];
        var slots = Enumerable.Range(0, batch).ToArray();
        var arrivals = _plans.Select(p => new long[]?[p.Incoming.Length]).ToArray();
        long events = 0;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
                for (int d = 0; d < dims; d++) input[b * dims + d] = FixedPoint.Payload(inputs[(b * steps + t) * dims + d]);
            // Compute: populations in order, so that every same-step source has stepped before its targets.
            for (int pi = 0; pi < pops.Length; pi++)
            {
                var plan = _plans[pi];
                for (int ci = 0; ci < plan.Incoming.Length; ci++)
                    arrivals[pi][ci] = plan.Incoming[ci].OneStep ? null : Source(plan.Incoming[ci].Source, input, payloads);
                events += CoreStep.Run(plan, states[pi], slots, arrivals[pi], payloads[pi], counts[pi],
                    pi == _output && t == steps - 1 ? outputs : default, scratch[pi], default).SynapticEvents;
            }
            // Deliver: every one-step connection keeps its source's payloads of this step for the next.
            for (int pi = 0; pi < pops.Length; pi++)
                foreach (var ci in _plans[pi].OneStepConnections)
                    CoreStep.Deliver(_plans[pi], states[pi], ci, slots, Source(_plans[pi].Incoming[ci].Source, input, payloads));
            if (observer is not null)
                for (int pi = 0; pi < pops.Length; pi++)
                    if (pops[pi].IsQuantized) observer.OnCounts(t, pops[pi], counts[pi]);
            if (observer is IPayloadObserver payloadObserver)
            {
                payloadObserver.OnPayloads(t, -1, input);
                for (int pi = 0; pi < pops.Length; pi++) payloadObserver.OnPayloads(t, pi, payloads[pi]);
            }
        }
        Interlocked.Add(ref _events, events);
        var predictions = ImmutableArray.CreateBuilder<int>(batch);
        int size = pops[_output].Size;
        for (int b = 0; b < batch; b++)
        {
            int best = 0;
            for (int i = 1; i < size; i++) if (outputs[b * size + i] > outputs[b * size + best]) best = i;
            predictions.Add(best);
        }
        return new SimulationResult(Matrix.Create(batch, size, outputs), predictions.MoveToImmutable());
    }

    private static long[] Source(int source, long[] input, long[][] payloads) => source < 0 ? input : payloads[source];
}
