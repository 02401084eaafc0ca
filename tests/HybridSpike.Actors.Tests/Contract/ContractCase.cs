using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using LowerStage = HybridSpike.Mapping.Compile.Lower;

using BuiltinProfiles = HybridSpike.Mapping.Profiles.Profiles;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>Which networks a simulator must agree with the fixed-point reference on.</summary>
public enum Domain
{
    /// <summary>Any network: the simulator computes in the fixed-point arithmetic itself (the mesh).</summary>
    FixedPoint,

    /// <summary>
    /// Networks on which float64 computes exactly what the fixed-point arithmetic does: weights and
    /// biases dyadic with few bits, inputs k/64, ω a power of two, f linear or relu, states from zero,
    /// and non-spiking populations only as sinks (a payload round(a·2^16) would round their activity).
    /// </summary>
    Dyadic,
}

/// <summary>A population of a generated network.</summary>
/// <param name="Seed">Draws the biases.</param>
public sealed record PopSpec(int Size, Activation F, double? Omega, bool Bias, bool UniformStart, ulong Seed)
{
    /// <summary>The quantizer rule of a quantized population (sigma-delta unless drawn otherwise).</summary>
    public QuantizerRule Quantizer { get; init; } = QuantizerRule.Default;

    public override string ToString() =>
        $"[{Size} {Activations.Name(F)} {(Omega is { } w ? $"ω={w.ToString(CultureInfo.InvariantCulture)}" : "non-spiking")}" +
        $"{(Omega is not null && Quantizer is not QuantizerRule.SigmaDelta ? $" {Quantizer}" : "")}" +
        $"{(Bias ? " bias" : "")}{(UniformStart ? " v0~U" : "")}]";
}

/// <summary>A connection of a generated network; <see cref="Source"/> −1 is the input.</summary>
/// <param name="Density">Share of nonzero weights (0: an all-zero matrix).</param>
/// <param name="Scale">Largest weight magnitude (one-step connections divide it by the source's size, so recurrences stay bounded).</param>
/// <param name="Seed">Draws the weights.</param>
public sealed record ConnSpec(int Source, int Target, Delay Delay, double Density, double Scale, ulong Seed)
{
    public string Describe(Func<int, string> name) =>
        $"{name(Source)}->{name(Target)} {(Delay == Delay.SameStep ? "same-step" : "one-step")} " +
        $"density {Density.ToString(CultureInfo.InvariantCulture)} scale {Scale.ToString(CultureInfo.InvariantCulture)} #{Seed}";
}

/// <summary>The two routing families a generated profile may have.</summary>
public enum RoutingFamily
{
    /// <summary>Loihi's: a 2D mesh of cores, X-then-Y routing, one copy per destination (the test profile's).</summary>
    MeshXY,

    /// <summary>SpiNNaker's: a triangular torus of chips, key/mask multicast tables with default routing and compression.</summary>
    TorusTables,
}

/// <summary>Per-core limits and layout of a generated profile, before <see cref="Fit"/> raises the limits a single unit needs.</summary>
/// <param name="Routing">On <see cref="RoutingFamily.TorusTables"/> the chip grid is at least 3×3 (a torus needs it).</param>
public sealed record ProfileSpec(int Units, int InputAxons, int OutputAxons, long SynapseMemoryBits, int WeightBits, int ChipsX, int ChipsY, int CoresX, int CoresY, RoutingFamily Routing)
{
    private static readonly HardwareProfile Test = BuiltinProfiles.Get("test");
    private static readonly HardwareProfile Spinnaker = BuiltinProfiles.Get("spinnaker");

    /// <summary>
    /// The profile for <paramref name="net"/> (as the compiler sees it: lowered, when lowering is on): like the built-in <c>test</c> one, with these limits, raised
    /// where a single unit needs more (such a unit cannot be split: a compile error, not a contract case), and
    /// with enough cores for one unit per core.
    /// </summary>
    public HardwareProfile Fit(NetworkDescription net)
    {
        var need = Needs(net);
        int coresX = CoresX, coresY = CoresY;
        int units = net.Populations.Sum(p => p.Size);
        while (ChipsX * ChipsY * coresX * coresY < units)
            if (coresX <= coresY) coresX++; else coresY++;
        int bits = WeightBits;
        bool torus = Routing == RoutingFamily.TorusTables;
        return Test with
        {
            Name = "contract",
            Description = "generated for the simulator contract",
            Layout = torus ? new MeshLayout(Math.Max(3, ChipsX), Math.Max(3, ChipsY), coresX, coresY) : new MeshLayout(ChipsX, ChipsY, coresX, coresY),
            Routing = torus ? Spinnaker.Routing : Test.Routing,
            Core = new CoreLimits(Units, Math.Max(InputAxons, need.InputAxons), Math.Max(OutputAxons, need.OutputAxons),
                Math.Max(SynapseMemoryBits, need.Synapses * bits), bits),
        };
    }

    /// <summary>Per unit, at most: distinct sources, incoming synapses, and target units reached (a bound on its output axons).</summary>
    private static (int InputAxons, int OutputAxons, long Synapses) Needs(NetworkDescription net)
    {
        int inAxons = 1, outAxons = 1;
        long synapses = 1;
        foreach (var p in net.Populations)
        {
            var sources = Enumerable.Range(0, p.Size).Select(_ => new HashSet<(string, int)>()).ToArray();
            var incoming = new long[p.Size];
            var reached = new int[p.Size];
            foreach (var c in net.Connections)
            {
                var m = ((DenseWeights)c.Weights).Matrix;
                if (c.Target == p.Name)
                    for (int i = 0; i < m.Rows; i++)
                        for (int j = 0; j < m.Columns; j++) if (m[i, j] != 0) { sources[i].Add((c.Source, j)); incoming[i]++; }
                if (c.Source == p.Name)
                    for (int j = 0; j < m.Columns; j++)
                        for (int i = 0; i < m.Rows; i++) if (m[i, j] != 0) reached[j]++;
            }
            foreach (var s in sources) inAxons = Math.Max(inAxons, s.Count);
            foreach (var n in incoming) synapses = Math.Max(synapses, n);
            foreach (var r in reached) outAxons = Math.Max(outAxons, r);
        }
        return (inAxons, outAxons, synapses);
    }

    public override string ToString() =>
        $"{Units} units, {InputAxons} in / {OutputAxons} out axons, {SynapseMemoryBits} synapse bits, {WeightBits}-bit weights, {ChipsX}x{ChipsY} chips of {CoresX}x{CoresY} cores, {(Routing == RoutingFamily.MeshXY ? "mesh, X-then-Y" : "torus, tables")}";
}

/// <summary>
/// One generated case of the simulator contract: a network (populations in evaluation order, the last
/// one the output), the hardware it is compiled for, how it is placed and delivered, and the input.
/// Everything is drawn from small values and seeds, so a shrunk counterexample reads as a sentence.
/// </summary>
public sealed record ContractCase(
    Domain Domain,
    int Dims,
    ImmutableArray<PopSpec> Pops,
    ImmutableArray<ConnSpec> Conns,
    ProfileSpec Profile,
    bool Lower,
    ExponentBlock Exponents,
    ulong? PlacementSeed,
    DeliveryShuffle Shuffle,
    int Streams,
    int Steps,
    ulong InputSeed,
    bool ZeroInput = false,
    TrafficPlacer? TrafficPlacement = null)
{
    public string Name(int population) =>
        population < 0 ? NetworkDescription.InputName : population == Pops.Length - 1 ? "out" : $"p{population}";

    public NetworkDescription Network()
    {
        var pops = Pops.Select((p, i) => new Population(Name(i), p.Size, p.F, p.Omega, p.Bias ? Biases(p) : [],
            p.UniformStart ? InitialStateMode.Uniform : InitialStateMode.Zeros, p.Seed) { Quantizer = p.Quantizer }).ToImmutableArray();
        var conns = Conns.Select(c =>
        {
            int rows = Pops[c.Target].Size, cols = c.Source < 0 ? Dims : Pops[c.Source].Size;
            return new Connection(Name(c.Source), Name(c.Target), new DenseWeights(Weights(c, rows, cols)), c.Delay);
        }).ToImmutableArray();
        var net = new NetworkDescription(pops, conns, new InputMapping(Dims, "contract"), new OutputMapping(Name(Pops.Length - 1), OutputMapping.LastStep));
        net.Validate();
        return net;
    }

    private ImmutableArray<double> Biases(PopSpec p)
    {
        var g = new SplitMix64(p.Seed);
        return [.. Enumerable.Range(0, p.Size).Select(_ => Domain == Domain.Dyadic ? (g.NextInt(65) - 32) / 64.0 : g.NextDouble() - 0.5)];
    }

    private Matrix Weights(ConnSpec c, int rows, int cols)
    {
        var g = new SplitMix64(c.Seed);
        // One-step connections (recurrence, feedback) are scaled down by the source's size so that they stay bounded.
        double scale = c.Delay == Delay.OneStep ? c.Scale / (Domain == Domain.Dyadic ? NextPowerOfTwo(cols) : cols) : c.Scale;
        return Matrix.Create(rows, cols, (_, _) =>
        {
            bool nonzero = g.NextDouble() < c.Density;
            double v = Domain == Domain.Dyadic ? (g.NextInt(33) - 16) / 16.0 : 2 * g.NextDouble() - 1;
            return nonzero ? scale * v : 0;
        });
    }

    private static int NextPowerOfTwo(int n) => 1 << (int)Math.Ceiling(Math.Log2(n));

    /// <summary>[stream, step, dim]: k/64 in [−1, 1] on dyadic networks, any double in [−1, 1) otherwise; all zero for <see cref="ZeroInput"/>.</summary>
    public double[] Inputs()
    {
        var g = new SplitMix64(InputSeed);
        return [.. Enumerable.Range(0, Streams * Steps * Dims).Select(_ =>
            ZeroInput ? 0 : Domain == Domain.Dyadic ? (g.NextInt(129) - 64) / 64.0 : 2 * g.NextDouble() - 1)];
    }

    public IPlacementStrategy Placement() => PlacementChoices.Strategy(PlacementSeed, TrafficPlacement);

    public CompiledMesh Compile()
    {
        var net = Network();
        var profile = Profile.Fit(Lower ? LowerStage.SplitIdentity(net) : net);
        return Compiler.Compile(net, profile, Placement(), new CompileOptions(Lower, Exponents));
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append($"{Domain} case: {Dims} input dims; ");
        s.Append(string.Join(", ", Pops.Select((p, i) => $"{Name(i)}{p}")));
        s.Append("; connections: ").Append(Conns.IsEmpty ? "none" : string.Join(", ", Conns.Select(c => c.Describe(Name))));
        s.Append($"; profile: {Profile}; lower {(Lower ? "on" : "off")}, {Exponents.ToString().ToLowerInvariant()} exponents");
        s.Append($"; placement {Placement().Name}; shuffle seed {Shuffle.Seed} hold {Shuffle.MaxHold}");
        s.Append($"; {Streams} streams x {Steps} steps, {(ZeroInput ? "zero input" : $"inputs #{InputSeed}")}");
        return s.ToString();
    }

    /// <summary>The built network's weights, biases and inputs, for a failure message.</summary>
    public string Dump()
    {
        var net = Network();
        var s = new StringBuilder();
        static string Row(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        foreach (var p in net.Populations.Where(p => !p.Bias.IsDefaultOrEmpty)) s.AppendLine($"  bias {p.Name}: {Row(p.Bias)}");
        foreach (var c in net.Connections)
        {
            var m = ((DenseWeights)c.Weights).Matrix;
            s.AppendLine($"  {c.Source}->{c.Target} ({c.Delay}): " + string.Join(" | ", Enumerable.Range(0, m.Rows).Select(i => Row(m.Row(i).ToArray()))));
        }
        s.AppendLine($"  inputs [stream, step, dim]: {Row(Inputs())}");
        return s.ToString();
    }
}
