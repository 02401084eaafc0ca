using HybridSpike.Core.Numerics;
using HybridSpike.Training.Config;
using HybridSpike.Training.Functional;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HybridSpike.Training.Models;

/// <summary>
/// The Legendre Memory Unit (method.md section 3) with optional quantized hidden and memory
/// populations, and a Dense readout on the last step. Per step t:
/// <code>
///   u_t = e_x·x_t + e_h·h_{t−1} + e_m·m_{t−1}
///   m_t = Q_m(Ā m_{t−1} + B̄ u_t)                   (Q_m = identity when the memory is linear)
///   h_t = Q_h(f(W_x x_t + W_h h_{t−1} + W_m m_t + b))
///   y   = W_o h_T + b_o
/// </code>
/// Ā, B̄ are fixed (zero-order hold or Euler, float64, from HybridSpike.Core); every encoder and
/// kernel is optional and trainable. The same function is computed in three forms of different
/// cost (<see cref="LmuForm"/>; docs/training.md): step by step, memory first, or all at once.
/// </summary>
public sealed class LmuModel : SequenceModel
{
    private readonly LmuConfig _config;
    private readonly LtiSystem _memory;
    // Tensors are looked up by name at use: module.to(dtype or device) replaces the registered
    // tensors, so a field holding one would go stale.
    private Parameter? _ex => Optional("e_x");               // [1]
    private Parameter? _eh => Optional("e_h");               // [1, n]
    private Parameter? _em => Optional("e_m");               // [1, d]
    private Parameter? _wx => Optional("w_x");               // [n, 1]
    private Parameter? _wh => Optional("w_h");               // [n, n]
    private Parameter? _wm => Optional("w_m");               // [n, d]
    private Parameter _bias => get_parameter("bias")!;        // [n]
    private readonly HashSet<string> _present = [];
    private readonly Linear _readout;
    private readonly QuantizedActivation _hidden;
    private readonly QuantizedActivation _memoryQ;
    // Ā, B̄ and the impulse response are fixed: derived from the config in float64 by Core,
    // cached per dtype (and T), not registered, so they are never rounded through float32 or saved.
    private readonly Dictionary<(string, ScalarType, long), Tensor> _constants = [];

    public LmuModel(LmuConfig config, int classes, long seed)
        : this(config, classes, seed, ActivationFunction.Of(Activations.Parse(config.Activation, "model.lmu.activation"))) { }

    /// <summary>An LMU whose hidden activation is <paramref name="hiddenActivation"/> (for example a user-supplied one) instead of <c>config.Activation</c>.</summary>
    public LmuModel(LmuConfig config, int classes, long seed, ActivationFunction hiddenActivation) : base("lmu")
    {
        _config = config;
        Activation = hiddenActivation;
        int d = config.Order, n = config.Hidden;
        _memory = Legendre.Discretize(d, config.Theta, config.Discretization == "euler" ? Discretization.Euler : Discretization.ZeroOrderHold);

        torch.manual_seed(seed);
        var w = config.Weights;
        if (w.InputEncoder) Add("e_x", ones(1));
        if (w.HiddenEncoder) Add("e_h", zeros(1, n));
        if (w.MemoryEncoder) Add("e_m", zeros(1, d));
        if (w.InputKernel) Add("w_x", zeros(n, 1));
        if (w.HiddenKernel) Add("w_h", zeros(n, n));
        if (w.MemoryKernel)
        {
            var wm = empty(n, d);
            nn.init.xavier_normal_(wm);
            Add("w_m", wm);
        }
        Add("bias", zeros(n));
        _readout = nn.Linear(n, classes);
        register_module("readout", _readout);
        _hidden = new QuantizedActivation("hidden", Activation, n, config.HiddenQuantizer);
        _memoryQ = new QuantizedActivation("memory", ActivationFunction.Of(Core.Numerics.Activation.Linear), d, config.MemoryQuantizer);
        register_module("hidden_q", _hidden);
        register_module("memory_q", _memoryQ);

        Form = config.Form switch
        {
            "parallel" => LmuForm.Parallel,
            "sequential" => LmuForm.Sequential,
            "memory-first" => LmuForm.MemoryFirst,
            _ => CanRunParallel(config) ? LmuForm.Parallel : MemoryIsIndependent(config) ? LmuForm.MemoryFirst : LmuForm.Sequential,
        };
    }

    private void Add(string name, Tensor initial)
    {
        register_parameter(name, new Parameter(initial));
        _present.Add(name);
    }

    private Parameter? Optional(string name) => _present.Contains(name) ? get_parameter(name)! : null;

    public LmuConfig Config => _config;
    /// <summary>The hidden layer's activation f.</summary>
    public ActivationFunction Activation { get; }
    public LtiSystem Memory => _memory;
    /// <summary>How the sequence is computed (all forms give the same result; they differ in cost).</summary>
    public LmuForm Form { get; }

    public bool IsParallel => Form == LmuForm.Parallel;

    /// <summary>Whether the memory never depends on the hidden state or its own encoder (e_h, e_m off).</summary>
    public static bool MemoryIsIndependent(LmuConfig c) => !c.Weights.HiddenEncoder && !c.Weights.MemoryEncoder;

    /// <summary>Whether the sequence can be computed at once: linear memory, no recurrence through h or m.</summary>
    public static bool CanRunParallel(LmuConfig c) =>
        !c.MemoryQuantizer.Enabled && !c.Weights.HiddenEncoder && !c.Weights.MemoryEncoder && !c.Weights.HiddenKernel;

    public QuantizedActivation HiddenActivation => _hidden;
    public QuantizedActivation MemoryActivation => _memoryQ;

    /// <summary>The trainable weights by name ("e_x", "w_m", ...), absent ones left out; for export.</summary>
    public IReadOnlyDictionary<string, Tensor> Weights()
    {
        var r = _present.ToDictionary(name => name, name => (Tensor)get_parameter(name)!);
        r["readout.weight"] = _readout.weight!;
        r["readout.bias"] = _readout.bias!;
        return r;
    }

    public override IReadOnlyList<(string Population, QuantizedActivation Activation)> Quantizers =>
        [.. new[] { ("memory", _memoryQ), ("hidden", _hidden) }.Where(q => q.Item2.Enabled)];

    public override Tensor forward(Tensor x) => Run(Form, x, record: false).Logits;

    public override RecordedForward Record(Tensor x) => Run(Form, x, record: true);

    /// <summary>Runs <paramref name="x"/> [batch, steps] in the given form.</summary>
    public RecordedForward Run(LmuForm form, Tensor x, bool record) => form switch
    {
        LmuForm.Parallel => ParallelForward(x, record),
        LmuForm.MemoryFirst => MemoryFirstForward(x, record),
        _ => SequentialForward(x, record),
    };

    /// <summary>Step by step over the sequence (any configuration). x: [batch, steps].</summary>
    public RecordedForward SequentialForward(Tensor x, bool record)
    {
        long batch = x.shape[0], steps = x.shape[1];
        var dtype = x.dtype;
        var aT = Constant("abar_t", dtype, 0);
        var bT = Constant("bbar_t", dtype, 0);
        // Input terms of every step at once; unbind gives per-step views whose backward is one stack
        // (slicing x[:, t] in the loop would write a full-size gradient per step).
        var uIn = _ex is not null ? (x * _ex.to(dtype)).unbind(1) : null;
        var hIn = _wx is not null ? x.unsqueeze(-1).matmul(_wx.to(dtype).t()).unbind(1) : null;
        var m = zeros(batch, _config.Order, dtype: dtype);
        var h = zeros(batch, _config.Hidden, dtype: dtype);
        var vm = _memoryQ.Enabled ? _memoryQ.StartState(batch) : null;
        var vh = _hidden.Enabled ? _hidden.StartState(batch) : null;
        var memCounts = record && _memoryQ.Enabled ? _memoryQ.CountsBuffer(batch, steps) : null;
        var hidCounts = record && _hidden.Enabled ? _hidden.CountsBuffer(batch, steps) : null;
        var wmT = _wm?.to(dtype).t();
        var whT = _wh?.to(dtype).t();
        var bias = _bias.to(dtype);

        for (int t = 0; t < steps; t++)
        {
            Tensor? u = uIn?[t].unsqueeze(1);
            if (_eh is not null) u = u is null ? h.matmul(_eh.to(dtype).t()) : u + h.matmul(_eh.to(dtype).t());
            if (_em is not null) u = u is null ? m.matmul(_em.to(dtype).t()) : u + m.matmul(_em.to(dtype).t());
            var mPre = u is null ? m.matmul(aT) : torch.addmm(u.matmul(bT), m, aT, 1, 1);
            var mAct = _memoryQ.Step(mPre, vm, memCounts, t);

            var z = hIn is not null ? hIn[t] + bias : bias.expand(batch, _config.Hidden);
            if (wmT is not null) z = torch.addmm(z, mAct, wmT, 1, 1);
            if (whT is not null) z = torch.addmm(z, h, whT, 1, 1);
            var hAct = _hidden.Step(z, vh, hidCounts, t);
            m = mAct;
            h = hAct;
        }
        var logits = _readout.call(h);
        var activity = new List<PopulationActivity>();
        if (memCounts is not null) activity.Add(new("memory", memCounts));
        if (hidCounts is not null) activity.Add(new("hidden", hidCounts));
        return new RecordedForward(logits, activity);
    }

    /// <summary>
    /// The memory first, then the hidden layer (e_h, e_m off, so the memory depends on the input
    /// alone). The memory runs without autograd: linear, as one FFT convolution M = H * x; quantized,
    /// as a step loop with no graph. Its gradient is attached as e_x·M: with the straight-through
    /// estimator the memory is linear on the backward pass, so this is exactly the gradient that
    /// back-propagation through the memory's 784 steps would give, without recording them. The
    /// hidden layer then takes W_m·m for every step in one product and loops only where W_h makes
    /// it recurrent; without W_h it uses the closed form and only the last step carries gradient.
    /// </summary>
    public RecordedForward MemoryFirstForward(Tensor x, bool record)
    {
        if (!MemoryIsIndependent(_config)) throw new InvalidOperationException("this LMU configuration feeds the hidden state or the memory back into the memory; use the sequential form");
        long batch = x.shape[0], steps = x.shape[1];
        var dtype = x.dtype;
        var ex = _ex!.to(dtype);
        var activity = new List<PopulationActivity>();

        Tensor? linear = null;                           // M [B, T, d], no grad: linear memory only
        Tensor? quantized = null;                        // memory activity n/ω [B, T, d], no grad
        using (no_grad())
        {
            if (_memoryQ.Enabled)
            {
                var (counts, values) = QuantizedMemory(x * ex, record);
                quantized = values;
                if (counts is not null) activity.Add(new("memory", counts));
            }
            else linear = LinearMemory(x);
        }
        var bias = _bias.to(dtype);
        if (_wh is null)
        {
            // No recurrence in the hidden layer: all steps without gradient, the last one with it.
            // Straight-through for a quantized memory: the value is Q_T, the gradient that of e_x M_T.
            Tensor mLast;
            if (quantized is null) mLast = ex * linear!.select(1, steps - 1);
            else
            {
                Tensor mT;
                using (no_grad()) mT = x.flip(1).matmul(Constant("impulse", dtype, steps));   // M_T = Σ_k H[k] x_{T−k}
                var viaEx = ex * mT;
                mLast = quantized.select(1, steps - 1) + (viaEx - viaEx.detach());
            }
            var zLast = HiddenInput(mLast, x.select(1, steps - 1).unsqueeze(1), bias);
            var fzLast = Activation.Apply(zLast);
            if (!_hidden.Enabled) return new RecordedForward(_readout.call(fzLast), activity);
            Tensor countsBtn;
            using (no_grad())
            {
                var fz = Activation.ApplyInPlace(HiddenInput(quantized ?? linear! * ex, x.unsqueeze(-1), bias)); // [B, T, n]
                countsBtn = Quantizer.ClosedForm(fz, _hidden.InitialState.to(ScalarType.Float64), _hidden.Omega, timeDim: 1);
            }
            if (record) activity.Add(new("hidden", countsBtn.to(ScalarType.Int32)));
            var aLast = Quantizer.StraightThrough(fzLast, countsBtn.select(1, steps - 1), _hidden.Omega);
            return new RecordedForward(_readout.call(aLast), activity);
        }

        // W_m m for every step. Linear memory (m = e_x M): ex·(M W_mᵀ), whose backward needs one big
        // product (for W_m) and an elementwise one (for e_x). Quantized memory (m = Q, straight-through
        // e_x M): Q W_mᵀ for the value and W_m's gradient, plus a zero-valued term carrying e_x's.
        // b + W_x x in one pass (addcmul), then the memory's term.
        var zAll = _wx is not null
            ? torch.addcmul(bias, x.unsqueeze(-1), _wx.to(dtype).squeeze(1), 1)
            : bias.expand(batch, steps, _config.Hidden);
        var wmT = _wm?.to(dtype).t();
        if (wmT is not null)
        {
            if (quantized is null) zAll = zAll + linear!.matmul(wmT) * ex;
            else
            {
                // P = M W_mᵀ = (H W_mᵀ) * x: one FFT convolution over n channels, no M needed;
                // P·(e_x − e_x) is zero but carries e_x's straight-through gradient Σ dZ ⊙ P.
                Tensor p;
                using (no_grad()) p = Convolve(x, Constant("impulse", dtype, steps).matmul(wmT.detach())).permute(0, 2, 1);
                zAll = zAll + quantized.matmul(wmT) + p * (ex - ex.detach());
            }
        }
        var hidCounts = record && _hidden.Enabled ? _hidden.CountsBuffer(batch, steps) : null;
        Tensor h;
        if (Activation.Named is { } named)
        {
            // The recurrence as one autograd function with a hand-written backward pass (HiddenRecurrence).
            h = HiddenRecurrence.Run(zAll, _wh.to(dtype), new HiddenRecurrence.Options(_hidden, named, hidCounts));
        }
        else
        {
            // A user-supplied activation: autograd through every step.
            var zIn = zAll.unbind(1);                    // W_x x + W_m m + b for every step
            var whT = _wh.to(dtype).t();
            h = zeros(batch, _config.Hidden, dtype: dtype);
            var vh = _hidden.Enabled ? _hidden.StartState(batch) : null;
            for (int t = 0; t < steps; t++)
                h = _hidden.Step(torch.addmm(zIn[t], h, whT, 1, 1), vh, hidCounts, t);
        }
        if (hidCounts is not null) activity.Add(new("hidden", hidCounts));
        return new RecordedForward(_readout.call(h), activity);
    }

    /// <summary>W_m m + W_x x + b (m [.., d], x [.., 1]) → [.., n].</summary>
    private Tensor HiddenInput(Tensor memory, Tensor x, Tensor bias)
    {
        var z = _wm is not null ? memory.matmul(_wm.to(memory.dtype).t()) + bias : bias.expand(memory.shape[..^1].Append(_config.Hidden).ToArray());
        return _wx is not null ? z + x.matmul(_wx.to(x.dtype).t()) : z;
    }

    /// <summary>The linear memory's response to x with unit encoder, M_t = Σ_k H[k] x_{t−k}: [B, T, d], by FFT.</summary>
    private Tensor LinearMemory(Tensor x) =>
        Convolve(x, Constant("impulse", x.dtype, x.shape[1])).permute(0, 2, 1).contiguous();

    /// <summary>Causal convolution of x [B, T] with a C-channel kernel g [T, C] by FFT: y[b, c, t] = Σ_k g[k, c] x[b, t−k], [B, C, T] contiguous.</summary>
    internal static Tensor Convolve(Tensor x, Tensor g)
    {
        long steps = x.shape[1];
        long nfft = FftLength(2 * steps - 1);
        var xf = fft.rfft(x, nfft, 1);                                         // [B, F]
        var gf = fft.rfft(g.t(), nfft, 1);                                     // [C, F]
        return fft.irfft(xf.unsqueeze(1) * gf.unsqueeze(0), nfft, 2).narrow(2, 0, steps).contiguous();
    }

    /// <summary>The quantized memory driven by u = e_x x, step by step without a graph: counts (int32, when recorded) and activity n/ω, [B, T, d].</summary>
    private (Tensor? Counts, Tensor Activity) QuantizedMemory(Tensor u, bool record)
    {
        long batch = u.shape[0], steps = u.shape[1];
        var dtype = u.dtype;
        var aT = Constant("abar_t", dtype, 0);
        var inputs = (u.unsqueeze(-1) * Constant("bbar_t", dtype, 0)).unbind(1); // B̄ u_t, [B, d] each
        var v = _memoryQ.StartState(batch);
        var counts = record ? _memoryQ.CountsBuffer(batch, steps) : null;
        var values = empty(batch, steps, _config.Order, dtype: dtype);
        var a = zeros(batch, _config.Order, dtype: dtype);
        for (int t = 0; t < steps; t++)
            QuantizerKernel.Step(torch.addmm(inputs[t], a, aT, 1, 1), v, _memoryQ.Omega, a, counts, t, values); // a updated in place
        return (counts, values);
    }

    /// <summary>
    /// The whole sequence at once (linear memory, no recurrent weights). Without gradient: every
    /// step's hidden pre-activation by one FFT convolution of x with G[k] = W_m Ā^k B̄ (the memory
    /// never materializes), the hidden counts by the closed form in float64. With gradient: only the
    /// last step, m_T = e_x Σ_k H[k] x_{T−k}, then the straight-through activity and the readout.
    /// </summary>
    public RecordedForward ParallelForward(Tensor x, bool record)
    {
        if (!CanRunParallel(_config)) throw new InvalidOperationException("this LMU configuration has recurrence and cannot run in the parallel form");
        long batch = x.shape[0], steps = x.shape[1];
        var dtype = x.dtype;
        var h = Constant("impulse", dtype, steps);              // [T, d]
        var ex = _ex?.to(dtype);
        var bias = _bias.to(dtype);
        var xLast = x.select(1, steps - 1).unsqueeze(1);        // [B, 1]

        // Last step with gradient.
        Tensor zT = bias.expand(batch, _config.Hidden);
        if (_wm is not null && ex is not null)
        {
            var mT = x.flip(1).matmul(h) * ex;                  // [B, d]
            zT = zT + mT.matmul(_wm.to(dtype).t());
        }
        if (_wx is not null) zT = zT + xLast.matmul(_wx.to(dtype).t());
        var fzT = Activation.Apply(zT);
        if (!_hidden.Enabled && !record) return new RecordedForward(_readout.call(fzT), []);

        Tensor counts;
        using (no_grad())
        {
            var fz = Activation.ApplyInPlace(AllPreActivations(x, h, ex, bias)); // [B, n, T]
            if (!_hidden.Enabled) return new RecordedForward(_readout.call(fzT), []);
            var v0 = _hidden.InitialState.to(ScalarType.Float64).unsqueeze(-1);      // [n, 1]
            if (record)
            {
                counts = Quantizer.ClosedForm(fz, v0, _hidden.Omega, timeDim: 2);      // [B, n, T]
            }
            else
            {
                // Only n_T: ⌊v₀ + ω S_T⌋ − ⌊v₀ + ω S_{T−1}⌋, the sums in float64.
                var through = fz.sum(2, type: ScalarType.Float64);
                var before = through - fz.select(2, steps - 1).to_type(ScalarType.Float64);
                var v = _hidden.InitialState.to(ScalarType.Float64);
                counts = ((through * _hidden.Omega + v).floor() - (before * _hidden.Omega + v).floor()).unsqueeze(-1);
            }
        }
        var aT = Quantizer.StraightThrough(fzT, counts.select(2, -1), _hidden.Omega);
        var activity = record ? new List<PopulationActivity> { new("hidden", counts.permute(0, 2, 1).to(ScalarType.Int32)) } : [];
        return new RecordedForward(_readout.call(aT), activity);
    }

    /// <summary>
    /// z for every step without gradient, [B, n, T], by one FFT convolution: z_t = Σ_k G[k] x_{t−k} + b
    /// with G[k] = e_x W_m H[k], and W_x folded into G[0] (it multiplies x_t, the k = 0 term).
    /// </summary>
    private Tensor AllPreActivations(Tensor x, Tensor h, Tensor? ex, Tensor bias)
    {
        long steps = x.shape[1];
        var g = _wm is not null && ex is not null
            ? h.matmul(_wm.to(x.dtype).t()) * ex                                  // [T, n]
            : zeros(steps, _config.Hidden, dtype: x.dtype);
        if (_wx is not null) g[0].add_(_wx.to(x.dtype).squeeze(1));
        return Convolve(x, g).add_(bias.view(1, -1, 1));                          // [B, n, T]
    }

    private Tensor Constant(string name, ScalarType dtype, long steps)
    {
        if (!_constants.TryGetValue((name, dtype, steps), out var t))
        {
            int d = _config.Order;
            var f64 = name switch
            {
                "abar_t" => tensor(_memory.A.Transpose().ToArray(), [d, d], ScalarType.Float64),
                "bbar_t" => tensor(_memory.B.ToArray(), [1, d], ScalarType.Float64),
                "impulse" => tensor(_memory.ImpulseResponse((int)steps).ToArray(), [steps, d], ScalarType.Float64),
                _ => throw new ArgumentException(name),
            };
            t = f64.to_type(dtype).DetachFromDisposeScope();
            if (name == "impulse") // one T at a time is enough
                foreach (var key in _constants.Keys.Where(k => k.Item1 == "impulse").ToList()) { _constants[key].Dispose(); _constants.Remove(key); }
            _constants[(name, dtype, steps)] = t;
        }
        return t;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) foreach (var t in _constants.Values) t.Dispose();
        _constants.Clear();
        base.Dispose(disposing);
    }

    /// <summary>The smallest 2^a·3^b·5^c at least <paramref name="n"/> (FFT lengths libtorch handles fast).</summary>
    internal static long FftLength(long n)
    {
        for (long m = n; ; m++)
        {
            long r = m;
            foreach (var p in new[] { 2L, 3L, 5L }) while (r % p == 0) r /= p;
            if (r == 1) return m;
        }
    }
}

/// <summary>The ways <see cref="LmuModel"/> computes a sequence; they agree, and differ in cost.</summary>
public enum LmuForm
{
    /// <summary>Step by step with back-propagation through every step: any configuration.</summary>
    Sequential,
    /// <summary>Memory first without a graph, then the hidden layer (e_h, e_m off).</summary>
    MemoryFirst,
    /// <summary>Everything at once (linear memory, no recurrent weights).</summary>
    Parallel,
}
