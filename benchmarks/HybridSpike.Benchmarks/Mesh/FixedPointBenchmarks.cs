using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Benchmarks.Mesh;

/// <summary>
/// The monolithic fixed-point loop, one thread: synaptic events per second (one event = one nonzero
/// payload meeting one nonzero weight; docs/mesh.md) and resident bytes per synapse.
/// <list type="bullet">
/// <item>hslmu-digits: the fixed-point golden simulator running one psMNIST test digit (784 steps) through the trained hsLMU (memory and hidden quantized), neuron updates included;</item>
/// <item>hslmu-25 / hslmu-60: 2,000 steps of the hsLMU's weights (MantissaBlock sums, contributions, neuron updates) with 25% / 60% of sources sending a count in ±1..4;</item>
/// <item>dense-1e8-25 / -60: the same on one 10,000 x 10,000 block of 8-bit weights (10^8 synapses), built column by column so nothing wider than a byte per synapse ever exists.</item>
/// </list>
/// </summary>
[Config(typeof(EventsConfig))]
public class FixedPointBenchmarks
{
    [Params("hslmu-digits", "hslmu-25", "hslmu-60", "dense-1e8-25", "dense-1e8-60")]
    public string Case { get; set; } = "";

    internal static readonly ConcurrentDictionary<string, (double EventsPerOp, double BytesPerSynapse)> Measured = new();

    private FixedPointSimulator _simulator = null!;
    private double[] _digit = [];
    private Layer[] _layers = [];
    private int _repeat = 1;

    /// <summary>A block with its inputs and the units it feeds, for the synthetic step.</summary>
    private sealed record Layer(MantissaBlock Weights, long[] Payloads, long[] Sums, double[] Scales, double? Omega, double[] X, double[] Fx, long[] State, long[] Out, double[] Activity, int[] Counts);

    [GlobalSetup]
    public void Setup()
    {
        long before = BenchNetworks.ResidentBytes();
        if (Case == "hslmu-digits")
        {
            var path = BenchNetworks.RequireHsLmu();
            var fixedNet = BenchNetworks.HsLmu(path, Profiles.Get("loihi")).Discretized.FixedPoint();
            _simulator = FixedPointSimulator.Create(fixedNet);
            _digit = BenchNetworks.Digits(path, 1, 1);
            _simulator.Run(_digit, 1, 784, null);
            Measured[Case] = (_simulator.SynapticEvents, double.NaN);
            return;
        }
        double fraction = Case.EndsWith("-25", StringComparison.Ordinal) ? 0.25 : 0.60;
        var g = new SplitMix64(11);
        if (Case.StartsWith("hslmu", StringComparison.Ordinal))
        {
            var fixedNet = BenchNetworks.HsLmu(BenchNetworks.RequireHsLmu(), Profiles.Get("loihi")).Discretized.FixedPoint();
            _layers = [.. fixedNet.Network.Connections.Select((c, i) =>
                NewLayer(MantissaBlock.FromRowMajor(fixedNet.Weights[i].Targets, fixedNet.Weights[i].Sources, fixedNet.Weights[i].Mantissas.AsSpan()),
                    [.. fixedNet.Weights[i].RowExponents], fixedNet.Network.Population(c.Target).Omega, fraction, g))];
        }
        else
        {
            var block = MantissaBlock.FromColumns(10_000, 10_000, (j, column) =>
            {
                var c = new SplitMix64((ulong)j + 1);
                for (int i = 0; i < column.Length; i++) column[i] = c.NextInt(255) - 127;
            });
            _layers = [NewLayer(block, new int[10_000], 1.0, fraction, g)];
        }
        // A step of the hsLMU takes microseconds: an invocation runs many, so the timer's resolution does not count.
        _repeat = Case.StartsWith("hslmu", StringComparison.Ordinal) ? 2000 : 1;
        double events = _layers.Sum(l => Step(l)) * _repeat;
        long synapses = _layers.Sum(l => l.Weights.Synapses);
        GC.Collect();
        // Resident bytes per synapse only where the process holds nothing but the blocks (the generated network).
        Measured[Case] = (events, _repeat > 1 ? double.NaN : (BenchNetworks.ResidentBytes() - before) / (double)synapses);
    }

    private static Layer NewLayer(MantissaBlock w, int[] exponents, double? omega, double fraction, SplitMix64 g)
    {
        var p = new long[w.Sources];
        for (int j = 0; j < p.Length; j++)
            if (g.NextDouble() < fraction) p[j] = (1 + g.NextInt(4)) * (g.NextInt(2) == 0 ? 1 : -1);
        int n = w.Targets;
        return new Layer(w, p, new long[n], [.. exponents.Select(e => FixedPoint.RowScale(e, 4.0))], omega,
            new double[n], new double[n], new long[n], new long[n], new double[n], new int[n]);
    }

    private static long Step(Layer l)
    {
        long events = l.Weights.Accumulate(l.Payloads, l.Sums);
        Array.Clear(l.X);
        FixedPoint.AddContributions(l.Sums, l.Scales, 4.0, l.X);
        FixedPoint.UnitsStep(Activation.Relu, l.Omega, QuantizerRule.Default, 0, l.X, l.Fx, l.State, l.Out, l.Activity, l.Counts);
        return events;
    }

    [Benchmark]
    public long Run()
    {
        if (_simulator is not null)
        {
            _simulator.Run(_digit, 1, 784, null);
            return _simulator.SynapticEvents;
        }
        long events = 0;
        for (int r = 0; r < _repeat; r++)
            foreach (var l in _layers) events += Step(l);
        return events;
    }

    private sealed class EventsConfig : ManualConfig
    {
        public EventsConfig()
        {
            AddColumn(new EventsColumn("Events/op", (e, _) => e.EventsPerOp.ToString("N0")));
            AddColumn(new EventsColumn("Events/s", (e, mean) => (e.EventsPerOp / (mean * 1e-9)).ToString("E2")));
            AddColumn(new EventsColumn("B/synapse", (e, _) => double.IsNaN(e.BytesPerSynapse) ? "-" : e.BytesPerSynapse.ToString("F2")));
        }
    }

    private sealed class EventsColumn(string name, Func<(double EventsPerOp, double BytesPerSynapse), double, string> value) : IColumn
    {
        public string Id => "HybridSpike." + name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => name switch
        {
            "Events/op" => "synaptic events (nonzero payload x nonzero weight) per invocation",
            "Events/s" => "synaptic events per second",
            _ => "resident bytes per synapse added by the setup",
        };
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var key = (string)benchmarkCase.Parameters["Case"];
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return Measured.TryGetValue(key, out var m) && mean is { } ns ? value(m, ns) : "?";
        }
    }
}
