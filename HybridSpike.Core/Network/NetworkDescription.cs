using System.Collections.Immutable;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Core.Network;

/// <summary>When a connection's source activity reaches its target.</summary>
public enum Delay
{
    /// <summary>The target at step t sees the source's activity of step t (the source is computed first).</summary>
    SameStep,
    /// <summary>The target at step t sees the source's activity of step t−1 (zero at t = 0): recurrence.</summary>
    OneStep,
}

/// <summary>
/// A population of units. Each step its units' input is
/// <c>x = bias + Σ_connections W·a_source</c>; a non-spiking population sends <c>a = f(x)</c>,
/// a quantized one (<see cref="Omega"/> set) sends integer counts n from its <see cref="Quantizer"/> rule
/// (<see cref="SigmaDelta"/> by default) and its targets see <c>a = n/ω</c> (send-on-delta: the level, <see cref="Quantizers.Activity"/>).
/// </summary>
/// <param name="Name">Unique within the network; "input" is reserved for the network input.</param>
/// <param name="Omega">Quanta per unit of activity per step; null for a non-spiking population.</param>
/// <param name="Bias">One value per unit (empty = zeros).</param>
/// <param name="InitialSeed">Seed of v₀ when <paramref name="InitialState"/> is Uniform.</param>
public sealed record Population(
    string Name,
    int Size,
    Activation Activation,
    double? Omega,
    ImmutableArray<double> Bias,
    InitialStateMode InitialState,
    ulong InitialSeed)
{
    public bool IsQuantized => Omega is not null;

    /// <summary>
    /// The rule a quantized population's counts come from (ignored when <see cref="Omega"/> is null):
    /// <see cref="QuantizerRule.SigmaDelta"/> unless set, as in every artifact before the rule was recorded.
    /// </summary>
    public QuantizerRule Quantizer { get; init; } = QuantizerRule.Default;

    /// <summary>The initial quantizer state of each unit (<see cref="Quantizers.InitialStates"/>; zeros when not quantized).</summary>
    public double[] InitialStates()
    {
        var v = new double[Size];
        if (IsQuantized) Quantizers.InitialStates(Quantizer, v, InitialState, InitialSeed);
        return v;
    }
}

/// <summary>Weights of a connection: target × source.</summary>
public abstract record Weights(int Targets, int Sources)
{
    /// <summary>Number of stored synapses (nonzero weights for sparse, all for dense).</summary>
    public abstract long Synapses { get; }

    /// <summary>Outgoing synapses of each source unit (its fan-out through this connection).</summary>
    public abstract int[] FanOut();
}

/// <summary>Dense weights, row-major [target, source].</summary>
public sealed record DenseWeights(Matrix Matrix) : Weights(Matrix.Rows, Matrix.Columns)
{
    public override long Synapses => (long)Targets * Sources;

    /// <summary>Every source reaches every target with a nonzero weight.</summary>
    public override int[] FanOut()
    {
        var f = new int[Sources];
        for (int i = 0; i < Targets; i++)
        {
            var row = Matrix.Row(i);
            for (int j = 0; j < Sources; j++) if (row[j] != 0) f[j]++;
        }
        return f;
    }
}

/// <summary>Sparse weights in coordinate form: synapse k connects source <c>SourceIndex[k]</c> to target <c>TargetIndex[k]</c>.</summary>
public sealed record SparseWeights(int TargetCount, int SourceCount, ImmutableArray<int> TargetIndex, ImmutableArray<int> SourceIndex, ImmutableArray<double> Values)
    : Weights(TargetCount, SourceCount)
{
    public override long Synapses => Values.Length;

    public override int[] FanOut()
    {
        var f = new int[Sources];
        for (int k = 0; k < Values.Length; k++) if (Values[k] != 0) f[SourceIndex[k]]++;
        return f;
    }
}

/// <summary>A connection from a source population (or "input") to a target population.</summary>
public sealed record Connection(string Source, string Target, Weights Weights, Delay Delay);

/// <summary>Where the network's output is read: a population's activity at the last step (argmax = class).</summary>
public sealed record OutputMapping(string Population, string ReadAt)
{
    public const string LastStep = "last-step";
}

/// <summary>The network's input: <see cref="Dimensions"/> values per step, fed through connections from "input".</summary>
public sealed record InputMapping(int Dimensions, string Description)
{
    /// <summary>
    /// Where the input sequences come from when they are images read pixel by pixel (psMNIST and its kin): the
    /// dataset, its split seed and the view's permutation. Named in the artifact, so that compile, simulate and the
    /// service build the inputs without the training config (and without loading the training side). Null: the
    /// artifact does not say (older artifacts; their provenance's config does).
    /// </summary>
    public SequenceInput? Sequence { get; init; }
}

/// <summary>Input sequences read from an image dataset: step t of image i is pixel <c>view[t]</c> as float32(pixel/255) (docs/artifact.md).</summary>
/// <param name="Dataset">A dataset name of <see cref="Data.Datasets.Names"/>.</param>
/// <param name="SplitSeed">The seed of the dataset's train/test split.</param>
/// <param name="PermutationSeed">The seed of the fixed pixel permutation (psMNIST), or null for the sequential order.</param>
public sealed record SequenceInput(string Dataset, ulong SplitSeed, ulong? PermutationSeed);

/// <summary>
/// A network as the deployment artifact, the golden simulator and the mesh see it. Populations are
/// listed in evaluation order; same-step connections must go from earlier to later populations.
/// </summary>
public sealed record NetworkDescription(
    ImmutableArray<Population> Populations,
    ImmutableArray<Connection> Connections,
    InputMapping Input,
    OutputMapping Output)
{
    public const string InputName = "input";

    public Population Population(string name) =>
        Populations.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"no population '{name}'");

    /// <summary>Fan-out of each unit of <paramref name="population"/> over all its outgoing connections.</summary>
    public int[] FanOut(string population)
    {
        var f = new int[Population(population).Size];
        foreach (var c in Connections.Where(c => c.Source == population))
        {
            var cf = c.Weights.FanOut();
            for (int i = 0; i < f.Length; i++) f[i] += cf[i];
        }
        return f;
    }

    /// <summary>
    /// The largest ω: a count of ω + 1 spikes in one step (|f(x)| = 1) must fit the int32 that every simulator
    /// holds a count in (<see cref="SigmaDelta.Step"/>, <see cref="FixedPoint.QuantizerStep(QuantizerRule, Span{long}, ReadOnlySpan{double}, double, Span{int}, int)"/>).
    /// </summary>
    public const double MaxOmega = int.MaxValue - 1;

    /// <summary>
    /// Checks names, sizes, evaluation order, that biases and weights are finite, and that no quantized population's
    /// worst-case spike count per step overflows int32; the error names the population or connection. The one
    /// validation of a network: the artifact's reader and writer, the simulators and the compiler all call it, so
    /// every command refuses the same networks with the same message.
    /// </summary>
    public void Validate()
    {
        var index = new Dictionary<string, int>();
        for (int i = 0; i < Populations.Length; i++)
        {
            var p = Populations[i];
            if (p.Name == InputName) throw new ArgumentException($"population name '{InputName}' is reserved for the network input");
            if (!index.TryAdd(p.Name, i)) throw new ArgumentException($"population '{p.Name}' is listed twice");
            if (p.Size <= 0) throw new ArgumentException($"population '{p.Name}': size {p.Size} must be positive");
            if (p.IsQuantized) Quantizers.Validate(p.Quantizer, p.Name);
            if (p.Omega is { } w && !(w > 0 && double.IsFinite(w))) throw new ArgumentException($"population '{p.Name}': ω = {w} must be positive and finite");
            if (p.Omega is { } big && big > MaxOmega)
                throw new ArgumentException($"population '{p.Name}': ω = {big} is over the limit of {MaxOmega}: a step's spike count (up to ω·|f(x)| + 1) must fit an int32");
            if (!p.Bias.IsDefaultOrEmpty && p.Bias.Length != p.Size) throw new ArgumentException($"population '{p.Name}': {p.Bias.Length} biases for {p.Size} units");
            if (!p.Bias.IsDefaultOrEmpty && FirstNonFinite(p.Bias.AsSpan()) is { } b)
                throw new ArgumentException($"population '{p.Name}': bias {b} is {p.Bias[b]}; biases must be finite");
        }
        if (Input.Dimensions <= 0) throw new ArgumentException($"input: {Input.Dimensions} dimensions must be positive");
        foreach (var c in Connections)
        {
            string name = $"connection {c.Source} -> {c.Target}";
            int sourceSize = c.Source == InputName ? Input.Dimensions
                : index.TryGetValue(c.Source, out var si) ? Populations[si].Size
                : throw new ArgumentException($"{name}: unknown source '{c.Source}'");
            if (!index.TryGetValue(c.Target, out var ti)) throw new ArgumentException($"{name}: unknown target '{c.Target}'");
            if (c.Weights.Sources != sourceSize || c.Weights.Targets != Populations[ti].Size)
                throw new ArgumentException($"{name}: weights are {c.Weights.Targets}x{c.Weights.Sources}, the populations need {Populations[ti].Size}x{sourceSize}");
            if (c.Delay == Delay.SameStep && c.Source != InputName && index[c.Source] >= ti)
                throw new ArgumentException($"{name}: a same-step connection must go to a later population (evaluation order); use a one-step delay for recurrence");
            var values = c.Weights switch
            {
                DenseWeights d => d.Matrix.Values.Span,
                SparseWeights sw => sw.Values.AsSpan(),
                _ => throw new ArgumentException($"{name}: weights of type {c.Weights.GetType().Name} are not supported"),
            };
            if (FirstNonFinite(values) is { } bad)
                throw new ArgumentException($"{name}: weight {bad} is {values[bad]}; weights must be finite");
            if (c.Weights is SparseWeights s)
            {
                if (s.TargetIndex.Length != s.Values.Length || s.SourceIndex.Length != s.Values.Length)
                    throw new ArgumentException($"{name}: sparse index and value counts differ");
                for (int k = 0; k < s.Values.Length; k++)
                    if ((uint)s.TargetIndex[k] >= (uint)s.TargetCount || (uint)s.SourceIndex[k] >= (uint)s.SourceCount)
                        throw new ArgumentException($"{name}: synapse {k} ({s.SourceIndex[k]} -> {s.TargetIndex[k]}) is out of range");
            }
        }
        if (!index.ContainsKey(Output.Population)) throw new ArgumentException($"output: unknown population '{Output.Population}'");
        if (Output.ReadAt != OutputMapping.LastStep) throw new ArgumentException($"output: read-at '{Output.ReadAt}' is not supported (only '{OutputMapping.LastStep}')");
        CheckWorstCaseCounts(index);
    }

    private static int? FirstNonFinite(ReadOnlySpan<double> values)
    {
        for (int i = 0; i < values.Length; i++) if (!double.IsFinite(values[i])) return i;
        return null;
    }

    /// <summary>
    /// A step's count is n = ⌊v + ω·f(x)⌋ with v in [0, 1), so |n| ≤ ω·max|f(x)| + 1, and both simulators hold n in
    /// an int32. max|f(x)| is 1 for tanh and σ; for linear and relu it is bounded by
    /// max_i |bias_i| + Σ_connections Σ_j |W_ij|·max|a_j|, with inputs in [−1, 1] (the datasets' pixel/255) and a
    /// quantized source's |a| = |n|/ω ≤ max|f| + 1/ω. A linear or relu population fed (one step late) by itself or
    /// by a later one has no such bound: there only <see cref="MaxOmega"/> applies, and an overflow while
    /// simulating is caught there (a checked conversion; the golden simulator names the population and the step).
    /// </summary>
    private void CheckWorstCaseCounts(Dictionary<string, int> index)
    {
        var maxF = new double[Populations.Length];
        for (int i = 0; i < Populations.Length; i++)
            maxF[i] = Populations[i].Activation is Activation.Tanh or Activation.Sigmoid ? 1 : double.NaN;   // NaN: not known yet
        for (int i = 0; i < Populations.Length; i++)
        {
            var p = Populations[i];
            if (double.IsNaN(maxF[i]))
            {
                var x = new double[p.Size];
                for (int u = 0; u < x.Length; u++) x[u] = p.Bias.IsDefaultOrEmpty ? 0 : Math.Abs(p.Bias[u]);
                bool bounded = true;
                foreach (var c in Connections)
                {
                    if (c.Target != p.Name) continue;
                    double a;
                    if (c.Source == InputName) a = 1;
                    else
                    {
                        int s = index[c.Source];
                        a = Populations[s].Omega is { } w ? Quantizers.MaxActivity(Populations[s].Quantizer, w, maxF[s]) : maxF[s];
                    }
                    if (double.IsNaN(a)) { bounded = false; break; }
                    switch (c.Weights)
                    {
                        case DenseWeights d:
                            for (int u = 0; u < d.Targets; u++)
                            {
                                var row = d.Matrix.Row(u);
                                double sum = 0;
                                for (int j = 0; j < row.Length; j++) sum += Math.Abs(row[j]);
                                x[u] += sum * a;
                            }
                            break;
                        case SparseWeights sw:
                            for (int k = 0; k < sw.Values.Length; k++) x[sw.TargetIndex[k]] += Math.Abs(sw.Values[k]) * a;
                            break;
                    }
                }
                if (!bounded) continue;   // stays NaN: later populations it feeds are not bounded either
                maxF[i] = x.Length == 0 ? 0 : x.Max();
            }
            if (p.Omega is { } omega && !(Quantizers.MaxCount(p.Quantizer, omega, maxF[i]) <= int.MaxValue))
                throw new ArgumentException(
                    $"population '{p.Name}': with ω = {omega} a step can give {Quantizers.MaxCount(p.Quantizer, omega, maxF[i]):G4} spikes per unit " +
                    $"(max |f(x)| = {maxF[i]:G4}{(p.Activation is Activation.Tanh or Activation.Sigmoid ? "" : " from its biases and weights, inputs in [-1, 1]")}), more than an int32 count holds ({int.MaxValue})");
        }
    }
}
