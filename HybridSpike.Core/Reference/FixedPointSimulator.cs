using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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
///   quantized: Q32 quantizer on f(x) (<see cref="FixedPoint.QuantizerStep"/>), a = n/ω
///   otherwise: a = f(x)
/// </code>
/// Same-step connections read the source's payload of this step, one-step ones the previous step's
/// (zero at t = 0). Because each connection's sum is an integer, a mesh may add its parts in any order
/// and on any core and still get exactly these x.
/// </summary>
public sealed class FixedPointSimulator : ISimulator
{
    private readonly FixedPointNetwork _net;
    private readonly Dictionary<string, int> _index;
    private readonly Incoming[][] _incoming;    // per population: its connections, in network order
    private readonly int _widest;
    private long _events;

    private FixedPointSimulator(FixedPointNetwork net)
    {
        net.Validate();
        _net = net;
        _index = net.Network.Populations.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var pops = net.Network.Populations;
        bool densePairs = DensePairsFor(net);
        _incoming = [.. pops.Select(p => net.Network.Connections
            .Select((conn, c) => (conn, c))
            .Where(x => x.conn.Target == p.Name)
            .Select(x =>
            {
                var w = net.Weights[x.c];
                int source = x.conn.Source == NetworkDescription.InputName ? -1 : _index[x.conn.Source];
                double? omega = source < 0 ? null : pops[source].Omega;
                return new Incoming(source, x.conn.Delay == Delay.OneStep, omega,
                    MantissaBlock.FromRowMajor(w.Targets, w.Sources, w.Mantissas.AsSpan(), densePairs),
                    [.. w.RowExponents.Select(e => FixedPoint.RowScale(e, omega))]);
            })
            .ToArray())];
        _widest = net.Network.Populations.Max(p => p.Size);
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

    /// <summary>Runs <paramref name="batch"/> sequences (inputs [batch, step, dim]); sequences are independent.</summary>
    public SimulationResult Run(ReadOnlySpan<double> inputs, int batch, int steps, IActivityObserver? observer = null)
    {
        var net = _net.Network;
        int dims = net.Input.Dimensions;
        if (inputs.Length != batch * steps * dims)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {batch} sequences x {steps} steps x {dims} dims need {batch * steps * dims}");
        var pops = net.Populations;
        int output = _index[net.Output.Population];
        var outputs = new double[batch * pops[output].Size];
        var predictions = ImmutableArray.CreateBuilder<int>(batch);
        // This step's counts of each quantized population for the whole batch ([sample, unit]), for observers.
        var counts = pops.Select(p => p.IsQuantized ? new int[batch * p.Size] : []).ToArray();
        // Per sample: payloads now and one step ago, Q32 states, activities. Step-major over the batch.
        var perSample = Enumerable.Range(0, batch).Select(_ => new SampleState(pops, dims)).ToArray();
        for (int b = 0; b < batch; b++)
            for (int pi = 0; pi < pops.Length; pi++)
                if (pops[pi].IsQuantized)
                {
                    var v0 = pops[pi].InitialStates();
                    for (int u = 0; u < v0.Length; u++) perSample[b].States[pi][u] = FixedPoint.InitialState(v0[u]);
                }

        var acc = new long[_widest];
        long events = 0;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                var s = perSample[b];
                (s.Previous, s.Payload) = (s.Payload, s.Previous);
                (s.PreviousInput, s.Input) = (s.Input, s.PreviousInput);
                for (int d = 0; d < dims; d++) s.Input[d] = FixedPoint.Payload(inputs[(b * steps + t) * dims + d]);
                for (int pi = 0; pi < pops.Length; pi++) events += StepPopulation(pi, s, counts[pi], b, acc);
            }
            if (observer is not null)
                for (int pi = 0; pi < pops.Length; pi++)
                    if (pops[pi].IsQuantized) observer.OnCounts(t, pops[pi], counts[pi]);
        }
        Interlocked.Add(ref _events, events);
        for (int b = 0; b < batch; b++)
        {
            var a = perSample[b].Activity[output];
            a.CopyTo(outputs, b * a.Length);
            int best = 0;
            for (int i = 1; i < a.Length; i++) if (a[i] > a[best]) best = i;
            predictions.Add(best);
        }
        return new SimulationResult(Matrix.Create(batch, pops[output].Size, outputs), predictions.MoveToImmutable());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long StepPopulation(int pi, SampleState s, int[] countsOfBatch, int sample, long[] acc)
    {
        var net = _net.Network;
        var p = net.Populations[pi];
        long events = 0;
        var x = s.X[pi];
        if (p.Bias.IsDefaultOrEmpty) Array.Clear(x);
        else p.Bias.CopyTo(x);
        foreach (var c in _incoming[pi])
        {
            long[] src = c.Source < 0
                ? (c.OneStep ? s.PreviousInput : s.Input)
                : (c.OneStep ? s.Previous[c.Source] : s.Payload[c.Source]);
            var sums = acc.AsSpan(0, c.Weights.Targets);
            events += c.Weights.Accumulate(src, sums);
            FixedPoint.AddContributions(sums, c.RowScales, c.SourceOmega, x);
        }
        var counts = p.IsQuantized ? countsOfBatch.AsSpan(sample * p.Size, p.Size) : default; // only a quantized step writes counts
        FixedPoint.UnitsStep(p.Activation, p.Omega, x, s.Fx[pi], s.States[pi], s.Payload[pi], s.Activity[pi], counts);
        return events;
    }

    /// <summary>One incoming connection of a population: where its payloads come from, its weights and its rows' scales.</summary>
    private sealed record Incoming(int Source, bool OneStep, double? SourceOmega, MantissaBlock Weights, double[] RowScales);

    private sealed class SampleState
    {
        public SampleState(ImmutableArray<Population> pops, int dims)
        {
            Input = new long[dims];
            PreviousInput = new long[dims];
            Payload = pops.Select(p => new long[p.Size]).ToArray();
            Previous = pops.Select(p => new long[p.Size]).ToArray();
            States = pops.Select(p => new long[p.Size]).ToArray();
            Activity = pops.Select(p => new double[p.Size]).ToArray();
            X = pops.Select(p => new double[p.Size]).ToArray();
            Fx = pops.Select(p => new double[p.Size]).ToArray();
        }

        public long[][] Payload;
        public long[][] Previous;
        public long[] Input;
        public long[] PreviousInput;
        public readonly long[][] States;
        public readonly double[][] Activity;
        public readonly double[][] X;
        public readonly double[][] Fx;
    }
}
