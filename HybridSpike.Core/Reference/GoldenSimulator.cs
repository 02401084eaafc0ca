using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Reference;

/// <summary>
/// The golden model: a plain float64 simulator of a <see cref="NetworkDescription"/>, the definition that
/// the TorchSharp model and the actor mesh are checked against.
/// <para>
/// For each step t = 0 .. T−1, for each population in list order:
/// <code>
///   x   = bias + Σ_{incoming connections c, in list order} W_c · a_source(c)
///   a_source = x_t                                  source "input", same-step  (x_{t−1} for one-step; 0 at t = 0)
///            = the source's activity of step t     same-step (the source is earlier in the list)
///            = the source's activity of step t−1   one-step (0 at t = 0)
///   non-spiking:  a = f(x)
///   quantized:    n from the population's rule (Quantizers.Step; sigma-delta: v ← v + ω·f(x);  n = ⌊v⌋;  v ← v − n);  a = n / ω, or L/ω for send-on-delta
/// </code>
/// v starts at <see cref="Population.InitialStates"/> for every sample of a batch. The output is the output
/// population's activity at step T−1; the predicted class is the index of its first maximum.
/// </para>
/// <para>
/// The arithmetic is <see cref="ArtifactArithmetic.Float64"/>, and the order of operations is part of the
/// definition: x starts at the bias, each connection adds its terms with the source index ascending (a
/// sparse connection in its stored order within one source), each term W·a is rounded and then added (no
/// fused multiply-add; GoldenSimulatorTests.The_vector_kernels_round_like_the_scalar_definition pins
/// it), and a zero activity adds nothing (the step is event-driven: a zero is skipped, or adds 0·W = ±0,
/// which leaves x unchanged up to the sign of a zero because weights must be finite). Sample b's input at step t is
/// <c>inputs[(b·T + t)·D + i]</c>, i &lt; D (the layout [batch, step, dimension]).
/// </para>
/// <para>An instance holds only the network's prepared weights; <see cref="Run"/> keeps its state in locals,
/// so one instance may run on several threads at once.</para>
/// </summary>
public sealed class GoldenSimulator : ISimulator
{
    // Without AVX-512 (and for the last samples of a batch): samples that share one pass over a weight
    // row, so that the row stays in L1 while their accumulators (Tile × targets doubles) do too.
    private const int Tile = 8;

    private readonly PopulationPlan[] _plans;
    private readonly int _output;

    private GoldenSimulator(NetworkDescription network, PopulationPlan[] plans, int output)
    {
        Network = network;
        _plans = plans;
        _output = output;
    }

    public NetworkDescription Network { get; }

    /// <summary>Values per step of one sample (D).</summary>
    public int InputDimensions => Network.Input.Dimensions;

    public int OutputSize => _plans[_output].Population.Size;

    /// <summary>
    /// Validates the network (<see cref="NetworkDescription.Validate"/>; weights and biases must also be
    /// finite) and prepares its weights.
    /// </summary>
    public static GoldenSimulator Create(NetworkDescription network)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.Validate();   // also: finite weights and biases, counts that fit int32
        var index = new Dictionary<string, int>();
        for (int i = 0; i < network.Populations.Length; i++) index.Add(network.Populations[i].Name, i);
        var readLater = new bool[network.Populations.Length];
        var plans = new PopulationPlan[network.Populations.Length];
        for (int i = 0; i < plans.Length; i++)
        {
            var p = network.Populations[i];
            var incoming = network.Connections
                .Where(c => c.Target == p.Name)
                .Select(c =>
                {
                    int source = c.Source == NetworkDescription.InputName ? Incoming.FromInput : index[c.Source];
                    if (source >= 0 && c.Delay == Delay.OneStep) readLater[source] = true;
                    return new Incoming(source, c.Delay, Kernel.For(c.Weights));
                })
                .ToArray();
            double[] bias = p.Bias.IsDefaultOrEmpty ? new double[p.Size] : p.Bias.ToArray();
            plans[i] = new PopulationPlan(p, bias, p.IsQuantized ? p.InitialStates() : null, incoming);
        }
        for (int i = 0; i < plans.Length; i++) plans[i] = plans[i] with { ReadAtNextStep = readLater[i] };
        return new GoldenSimulator(network, plans, index[network.Output.Population]);
    }

    /// <summary>The simulator of an artifact's network; the artifact's arithmetic must be float64.</summary>
    public static GoldenSimulator Create(ModelArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (artifact.Arithmetic != ArtifactArithmetic.Float64)
            throw new ArgumentException($"artifact arithmetic '{artifact.Arithmetic}': the golden simulator runs only '{ArtifactArithmetic.Float64}'", nameof(artifact));
        return Create(artifact.Network);
    }

    /// <summary>
    /// Runs <paramref name="batch"/> samples of <paramref name="steps"/> steps each.
    /// </summary>
    /// <param name="inputs">Row-major [batch, step, dimension]: batch × steps × <see cref="InputDimensions"/> values.</param>
    /// <param name="observer">Receives the counts of every quantized population at every step (may be null).</param>
    public SimulationResult Run(ReadOnlySpan<double> inputs, int batch, int steps, IActivityObserver? observer = null)
    {
        CheckRun(inputs.Length, batch, steps);
        int dims = InputDimensions;
        int n = _plans.Length;
        var current = new double[n][];
        var previous = new double[n][];
        var scratch = new double[n][];
        var v = new double[n][];
        var counts = new int[n][];
        for (int p = 0; p < n; p++)
        {
            var plan = _plans[p];
            int size = checked(batch * plan.Population.Size);
            current[p] = new double[size];
            if (plan.ReadAtNextStep) previous[p] = new double[size];
            if (plan.V0 is { } v0)
            {
                scratch[p] = new double[size];
                counts[p] = new int[size];
                v[p] = new double[size];
                for (int b = 0; b < batch; b++) v0.CopyTo(v[p], b * v0.Length);
            }
        }

        for (int t = 0; t < steps; t++)
        {
            for (int p = 0; p < n; p++)
            {
                var plan = _plans[p];
                int size = plan.Population.Size;
                var x = (plan.V0 is null ? current[p] : scratch[p]).AsSpan();
                for (int b = 0; b < batch; b++) plan.Bias.CopyTo(x.Slice(b * size, size));

                foreach (var c in plan.Incoming)
                {
                    if (c.Delay == Delay.OneStep && t == 0) continue; // the source's activity at t = −1 is zero
                    if (c.Source == Incoming.FromInput)
                    {
                        int at = c.Delay == Delay.SameStep ? t : t - 1;
                        c.Kernel.Accumulate(x, size, inputs, steps * dims, at * dims, batch);
                    }
                    else
                    {
                        var source = c.Delay == Delay.SameStep ? current[c.Source] : previous[c.Source];
                        c.Kernel.Accumulate(x, size, source, _plans[c.Source].Population.Size, 0, batch);
                    }
                }

                Activate(plan.Population.Activation, x);
                if (plan.V0 is not null)
                {
                    double omega = plan.Population.Omega!.Value;
                    var rule = plan.Population.Quantizer;
                    int units = plan.Population.Size;
                    try
                    {
                        // Row by row: a rule's draws are by unit of the population (Quantizers.Noise), not by place in the batch.
                        for (int b = 0; b < batch; b++)
                            Quantizers.Step(rule, v[p].AsSpan(b * units, units), x.Slice(b * units, units), omega, counts[p].AsSpan(b * units, units), 0);
                    }
                    catch (OverflowException e)
                    {
                        throw new OverflowException($"population '{plan.Population.Name}' at step {t}: a spike count exceeds int32 (ω·f(x) too large or not finite)", e);
                    }
                    Quantizers.Activity(rule, counts[p], v[p], omega, current[p]);
                    observer?.OnCounts(t, plan.Population, counts[p]);
                }
            }
            if (t < steps - 1)
                for (int p = 0; p < n; p++)
                    if (_plans[p].ReadAtNextStep) (current[p], previous[p]) = (previous[p], current[p]);
        }

        var output = (double[])current[_output].Clone();
        return new SimulationResult(Matrix.Wrap(batch, OutputSize, output), Predict(output, batch, OutputSize));
    }

    /// <summary>
    /// Runs and keeps every spike count of one quantized population: for small runs and tests
    /// (batch × steps × units ints; <see cref="RecordedCounts.Of"/>).
    /// </summary>
    public RecordedCounts RecordCounts(string population, ReadOnlySpan<double> inputs, int batch, int steps)
    {
        CheckRun(inputs.Length, batch, steps);
        return RecordedCounts.Of(this, population, inputs, batch, steps);
    }

    private void CheckRun(int inputLength, int batch, int steps)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be positive");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be positive");
        long need = (long)batch * steps * InputDimensions;
        if (inputLength != need)
            throw new ArgumentException(
                $"inputs: {inputLength} values, but batch {batch} × steps {steps} × input dimensions {InputDimensions} need {need} (layout [batch, step, dimension])",
                "inputs");
    }

    /// <summary>x = f(x) in place: <see cref="Activations.ApplyAll"/>, the bits of <see cref="Activations.Apply"/>.</summary>
    private static void Activate(Activation f, Span<double> x) => Activations.ApplyAll(f, x, x);

    private static ImmutableArray<int> Predict(double[] outputs, int batch, int size)
    {
        var classes = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            var row = outputs.AsSpan(b * size, size);
            int best = 0;
            for (int i = 1; i < size; i++) if (row[i] > row[best]) best = i;
            classes[b] = best;
        }
        return ImmutableCollectionsMarshal.AsImmutableArray(classes);
    }

    /// <summary>x[i] += s·w[i], each product rounded before the add (the definition's order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Axpy(Span<double> x, double s, ReadOnlySpan<double> w)
    {
        int n = x.Length, i = 0;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double wr = ref MemoryMarshal.GetReference(w);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i <= n - Vector512<double>.Count; i += Vector512<double>.Count)
                (Vector512.LoadUnsafe(ref xr, (nuint)i) + vs * Vector512.LoadUnsafe(ref wr, (nuint)i)).StoreUnsafe(ref xr, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
                (Vector256.LoadUnsafe(ref xr, (nuint)i) + vs * Vector256.LoadUnsafe(ref wr, (nuint)i)).StoreUnsafe(ref xr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref xr, i) += s * Unsafe.Add(ref wr, i);
    }

    private sealed record PopulationPlan(Population Population, double[] Bias, double[]? V0, Incoming[] Incoming)
    {
        /// <summary>Some one-step connection reads this population's activity at the next step.</summary>
        public bool ReadAtNextStep { get; init; }
    }

    private sealed record Incoming(int Source, Delay Delay, Kernel Kernel)
    {
        public const int FromInput = -1;
    }

    /// <summary>Event-driven accumulation of one connection: for each nonzero source activity, add its weights.</summary>
    private abstract class Kernel
    {
        /// <summary>
        /// x[b, :] += W · src[b·stride + offset .. + sources) for b &lt; batch; x is row-major [batch, targets].
        /// </summary>
        public abstract void Accumulate(Span<double> x, int targets, ReadOnlySpan<double> src, int stride, int offset, int batch);

        public static Kernel For(Weights w) => w switch
        {
            DenseWeights d => new DenseKernel(d),
            SparseWeights s => new SparseKernel(s),
            _ => throw new ArgumentException($"weights of type {w.GetType().Name} are not supported"),
        };
    }

    /// <summary>Dense weights stored transposed, [source][target], so that one source's weights are contiguous.</summary>
    private sealed class DenseKernel : Kernel
    {
        private readonly double[] _transposed;
        private readonly int _sources;

        public DenseKernel(DenseWeights w)
        {
            _sources = w.Sources;
            _transposed = w.Matrix.Transpose().ToArray();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Accumulate(Span<double> x, int targets, ReadOnlySpan<double> src, int stride, int offset, int batch)
        {
            int b = 0;
            if (Vector512.IsHardwareAccelerated && batch >= Block.Samples)
            {
                var active = new int[_sources];
                for (; b + Block.Samples <= batch; b += Block.Samples)
                {
                    // Sources active in any of the block's samples; a zero activity of one sample then adds
                    // 0·w = ±0, which leaves x unchanged (the weights are finite).
                    int na = 0;
                    for (int j = 0; j < _sources; j++)
                    {
                        int at = b * stride + offset + j;
                        if (src[at] != 0 || src[at + stride] != 0 || src[at + 2 * stride] != 0 || src[at + 3 * stride] != 0)
                            active[na++] = j;
                    }
                    if (na == 0) continue;
                    var list = active.AsSpan(0, na);
                    int c = 0;
                    for (; c + Block.Targets <= targets; c += Block.Targets) Block.Run32(x, targets, b, c, _transposed, src, stride, offset, list);
                    for (; c + Block.Lanes <= targets; c += Block.Lanes) Block.Run8(x, targets, b, c, _transposed, src, stride, offset, list);
                    if (c < targets) Block.RunScalar(x, targets, b, c, _transposed, src, stride, offset, list);
                }
            }
            for (int b0 = b; b0 < batch; b0 += Tile) Rows(x, targets, src, stride, offset, b0, Math.Min(Tile, batch - b0));
        }

        /// <summary>Samples b0 .. b0+count−1, one sample and source at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Rows(Span<double> x, int targets, ReadOnlySpan<double> src, int stride, int offset, int b0, int count)
        {
            for (int j = 0; j < _sources; j++)
            {
                var w = _transposed.AsSpan(j * targets, targets);
                for (int b = b0; b < b0 + count; b++)
                {
                    double s = src[b * stride + offset + j];
                    if (s != 0) Axpy(x.Slice(b * targets, targets), s, w);
                }
            }
        }
    }

    /// <summary>
    /// A register-blocked block of 4 samples × 32 targets: its accumulators stay in registers over all active
    /// sources, so x is loaded and stored once and each weight row is loaded once for 4 samples. Each element
    /// still sees x ← x + s·w with the sources ascending, exactly as the scalar definition.
    /// </summary>
    private static class Block
    {
        public const int Samples = 4;
        public const int Lanes = 8;
        public const int Targets = 4 * Lanes;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run32(Span<double> x, int targets, int b, int c, double[] transposed,
            ReadOnlySpan<double> src, int stride, int offset, ReadOnlySpan<int> active)
        {
            ref double x0 = ref x[b * targets + c];
            ref double x1 = ref Unsafe.Add(ref x0, targets);
            ref double x2 = ref Unsafe.Add(ref x1, targets);
            ref double x3 = ref Unsafe.Add(ref x2, targets);
            var a00 = Vector512.LoadUnsafe(ref x0, 0); var a01 = Vector512.LoadUnsafe(ref x0, 8); var a02 = Vector512.LoadUnsafe(ref x0, 16); var a03 = Vector512.LoadUnsafe(ref x0, 24);
            var a10 = Vector512.LoadUnsafe(ref x1, 0); var a11 = Vector512.LoadUnsafe(ref x1, 8); var a12 = Vector512.LoadUnsafe(ref x1, 16); var a13 = Vector512.LoadUnsafe(ref x1, 24);
            var a20 = Vector512.LoadUnsafe(ref x2, 0); var a21 = Vector512.LoadUnsafe(ref x2, 8); var a22 = Vector512.LoadUnsafe(ref x2, 16); var a23 = Vector512.LoadUnsafe(ref x2, 24);
            var a30 = Vector512.LoadUnsafe(ref x3, 0); var a31 = Vector512.LoadUnsafe(ref x3, 8); var a32 = Vector512.LoadUnsafe(ref x3, 16); var a33 = Vector512.LoadUnsafe(ref x3, 24);
            ref double w = ref MemoryMarshal.GetArrayDataReference(transposed);
            ref double s = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), b * stride + offset);
            foreach (int j in active)
            {
                ref double wj = ref Unsafe.Add(ref w, j * targets + c);
                var w0 = Vector512.LoadUnsafe(ref wj, 0); var w1 = Vector512.LoadUnsafe(ref wj, 8);
                var w2 = Vector512.LoadUnsafe(ref wj, 16); var w3 = Vector512.LoadUnsafe(ref wj, 24);
                ref double sj = ref Unsafe.Add(ref s, j);
                var s0 = Vector512.Create(sj);
                a00 += s0 * w0; a01 += s0 * w1; a02 += s0 * w2; a03 += s0 * w3;
                var s1 = Vector512.Create(Unsafe.Add(ref sj, stride));
                a10 += s1 * w0; a11 += s1 * w1; a12 += s1 * w2; a13 += s1 * w3;
                var s2 = Vector512.Create(Unsafe.Add(ref sj, 2 * stride));
                a20 += s2 * w0; a21 += s2 * w1; a22 += s2 * w2; a23 += s2 * w3;
                var s3 = Vector512.Create(Unsafe.Add(ref sj, 3 * stride));
                a30 += s3 * w0; a31 += s3 * w1; a32 += s3 * w2; a33 += s3 * w3;
            }
            a00.StoreUnsafe(ref x0, 0); a01.StoreUnsafe(ref x0, 8); a02.StoreUnsafe(ref x0, 16); a03.StoreUnsafe(ref x0, 24);
            a10.StoreUnsafe(ref x1, 0); a11.StoreUnsafe(ref x1, 8); a12.StoreUnsafe(ref x1, 16); a13.StoreUnsafe(ref x1, 24);
            a20.StoreUnsafe(ref x2, 0); a21.StoreUnsafe(ref x2, 8); a22.StoreUnsafe(ref x2, 16); a23.StoreUnsafe(ref x2, 24);
            a30.StoreUnsafe(ref x3, 0); a31.StoreUnsafe(ref x3, 8); a32.StoreUnsafe(ref x3, 16); a33.StoreUnsafe(ref x3, 24);
        }

        /// <summary>4 samples × 8 targets.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run8(Span<double> x, int targets, int b, int c, double[] transposed,
            ReadOnlySpan<double> src, int stride, int offset, ReadOnlySpan<int> active)
        {
            ref double x0 = ref x[b * targets + c];
            ref double x1 = ref Unsafe.Add(ref x0, targets);
            ref double x2 = ref Unsafe.Add(ref x1, targets);
            ref double x3 = ref Unsafe.Add(ref x2, targets);
            var a0 = Vector512.LoadUnsafe(ref x0); var a1 = Vector512.LoadUnsafe(ref x1);
            var a2 = Vector512.LoadUnsafe(ref x2); var a3 = Vector512.LoadUnsafe(ref x3);
            ref double w = ref MemoryMarshal.GetArrayDataReference(transposed);
            ref double s = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), b * stride + offset);
            foreach (int j in active)
            {
                var wj = Vector512.LoadUnsafe(ref Unsafe.Add(ref w, j * targets + c));
                ref double sj = ref Unsafe.Add(ref s, j);
                a0 += Vector512.Create(sj) * wj;
                a1 += Vector512.Create(Unsafe.Add(ref sj, stride)) * wj;
                a2 += Vector512.Create(Unsafe.Add(ref sj, 2 * stride)) * wj;
                a3 += Vector512.Create(Unsafe.Add(ref sj, 3 * stride)) * wj;
            }
            a0.StoreUnsafe(ref x0); a1.StoreUnsafe(ref x1); a2.StoreUnsafe(ref x2); a3.StoreUnsafe(ref x3);
        }

        /// <summary>4 samples × the targets from <paramref name="c"/> to the end (fewer than 8), one at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunScalar(Span<double> x, int targets, int b, int c, double[] transposed,
            ReadOnlySpan<double> src, int stride, int offset, ReadOnlySpan<int> active)
        {
            int s0 = b * stride + offset;
            for (int i = c; i < targets; i++)
            {
                int at = b * targets + i;
                double a0 = x[at], a1 = x[at + targets], a2 = x[at + 2 * targets], a3 = x[at + 3 * targets];
                foreach (int j in active)
                {
                    double wj = transposed[j * targets + i];
                    int sj = s0 + j;
                    a0 += src[sj] * wj;
                    a1 += src[sj + stride] * wj;
                    a2 += src[sj + 2 * stride] * wj;
                    a3 += src[sj + 3 * stride] * wj;
                }
                x[at] = a0; x[at + targets] = a1; x[at + 2 * targets] = a2; x[at + 3 * targets] = a3;
            }
        }
    }

    /// <summary>Sparse weights grouped by source (ascending; stored order within a source).</summary>
    private sealed class SparseKernel : Kernel
    {
        private readonly int[] _start;   // synapses of source j: _start[j] .. _start[j+1]
        private readonly int[] _target;
        private readonly double[] _value;

        public SparseKernel(SparseWeights w)
        {
            int m = w.Values.Length;
            _start = new int[w.Sources + 1];
            foreach (var j in w.SourceIndex) _start[j + 1]++;
            for (int j = 0; j < w.Sources; j++) _start[j + 1] += _start[j];
            var next = _start[..^1].ToArray();
            _target = new int[m];
            _value = new double[m];
            for (int k = 0; k < m; k++)
            {
                int at = next[w.SourceIndex[k]]++;
                _target[at] = w.TargetIndex[k];
                _value[at] = w.Values[k];
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Accumulate(Span<double> x, int targets, ReadOnlySpan<double> src, int stride, int offset, int batch)
        {
            int sources = _start.Length - 1;
            for (int b = 0; b < batch; b++)
            {
                var xb = x.Slice(b * targets, targets);
                var a = src.Slice(b * stride + offset, sources);
                for (int j = 0; j < sources; j++)
                {
                    double s = a[j];
                    if (s == 0) continue;
                    for (int k = _start[j]; k < _start[j + 1]; k++) xb[_target[k]] += s * _value[k];
                }
            }
        }
    }

}
