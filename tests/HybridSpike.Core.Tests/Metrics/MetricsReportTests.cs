using HybridSpike.Core.Metrics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using static HybridSpike.Core.Tests.Metrics.MetricsNetworks;

namespace HybridSpike.Core.Tests.Metrics;

public class MetricsReportTests
{
    private static MetricsReport WorkedReport(double? accuracy = 0.5, double? loss = 1.25)
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add(WorkedCounts, samples: 2, steps: 2);
        acc[1].Add([], samples: 2, steps: 2);
        return MetricsReport.Create(net, acc, accuracy, loss);
    }

    [Fact]
    public void The_worked_example_gives_the_hand_computed_rows()
    {
        var r = WorkedReport();
        Assert.Equal(["h", "m"], r.Populations.Select(p => p.Name));
        var h = r.Population("h");
        Assert.Equal(1.375, h.SpikesPerUnitPerStep!.Value, 12);
        Assert.Equal(0.5, h.ZeroFraction!.Value, 12);
        Assert.Equal((2 + Math.Log2(6)) / 2 + 1, h.ActivityBits!.Value, 12);
        Assert.Equal(1.8, h.SignificantBits!.Value, 12);
        Assert.Equal(2.5, h.SpikingSynapticOpsPerStep, 12);
        Assert.Equal(5.0, h.DenseSynapticOpsPerStep, 12);
        var m = r.Population("m");
        Assert.Null(m.ActivityBits);
        Assert.Equal(1.0, m.SpikingSynapticOpsPerStep);

        var o = r.Overall;
        Assert.Equal(0.5, o.Accuracy);
        Assert.Equal(1.25, o.Loss);
        Assert.Equal(2, o.Samples);
        Assert.Equal(2.0, o.StepsPerInference);
        Assert.Equal(3, o.Units);
        Assert.Equal(2, o.QuantizedUnits);
        Assert.Equal(2, o.InputSynapses);
        Assert.Equal(8, o.Synapses);
        Assert.Equal(1.8, o.SignificantBits!.Value, 12);
        Assert.Equal(2.5 + 1 + 2, o.SpikingSynapticOpsPerStep, 12); // h spiking, m dense, input dense
        Assert.Equal(5 + 1 + 2, o.DenseSynapticOpsPerStep, 12);
        Assert.Equal(3, o.NeuronUpdatesPerStep);
    }

    [Fact]
    public void Energy_per_inference_of_the_worked_example_on_loihi_and_cpu_is_the_hand_figure()
    {
        var r = WorkedReport();
        // loihi (spiking): 5.5 ops/step × 2 steps = 11 ops at 27.1 pJ, 3 units × 2 steps = 6 updates at 81 pJ.
        var loihi = r.EnergyOn("loihi");
        Assert.Equal(11.0, loihi.SynapticOpsPerInference, 12);
        Assert.Equal(6.0, loihi.NeuronUpdatesPerInference, 12);
        Assert.Equal(784.1e-12, loihi.Joules, 1e-20);
        // cpu (dense): 8 ops/step × 2 = 16 ops and 6 updates, each 8.6 nJ.
        var cpu = r.EnergyOn("CPU");
        Assert.Equal(16.0, cpu.SynapticOpsPerInference, 12);
        Assert.Equal(189.2e-9, cpu.Joules, 1e-17);
        Assert.Equal(EnergyModel.Devices.Select(d => d.Name), r.Energy.Select(e => e.Device));
    }

    [Fact]
    public void Only_the_devices_asked_for_are_priced()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add(WorkedCounts, 2, 2);
        acc[1].Add([], 2, 2);
        var r = MetricsReport.Create(net, acc, null, null, [EnergyModel.Device("spinnaker2")]);
        Assert.Equal(["spinnaker2"], r.Energy.Select(e => e.Device));
        Assert.Null(r.Overall.Accuracy);
        Assert.Throws<KeyNotFoundException>(() => r.EnergyOn("loihi"));
    }

    [Fact]
    public void Overall_activity_bits_weight_populations_by_units_and_significant_bits_pool_synaptic_events()
    {
        // a: 1 unit, sends 3 (2 bits) to 3 synapses; b: 3 units, send 1, 1, 0 (1 bit) to 1 synapse each.
        var net = new NetworkDescription(
            [Pop("a", 1, Activation.Relu, 1), Pop("b", 3, Activation.Relu, 1)],
            [
                Dense(NetworkDescription.InputName, "a", 1, 1, [1]),
                Dense("a", "b", 3, 1, [1, 1, 1]),
                Dense("b", "a", 1, 3, [1, 1, 1], Delay.OneStep),
            ],
            new InputMapping(1, "x"),
            new OutputMapping("b", OutputMapping.LastStep));
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].AddStep([3], samples: 1, step: 0);
        acc[1].AddStep([1, 1, 0], samples: 1, step: 0);
        var r = MetricsReport.Create(net, acc, null, null);

        Assert.Equal(2.0, r.Population("a").ActivityBits!.Value, 12);
        Assert.Equal(2.0 / 3, r.Population("b").ActivityBits!.Value, 12);
        Assert.Equal((1 * 2.0 + 3 * (2.0 / 3)) / 4, r.Overall.ActivityBits!.Value, 12);  // 1.0, not the plain mean 1.33
        Assert.Equal((3 * 2.0 + 2 * 1.0) / 5, r.Overall.SignificantBits!.Value, 12);    // 1.6, not the plain mean 1.5
        Assert.Equal(5.0 / 4, r.Overall.SpikesPerUnitPerStep!.Value, 12);
        Assert.Equal(1.0 / 4, r.Overall.ZeroFraction!.Value, 12);
        Assert.Equal(3 + 2 + 1, r.Overall.SpikingSynapticOpsPerStep, 12);
        Assert.Equal(3 + 3 + 1, r.Overall.DenseSynapticOpsPerStep, 12);
    }

    [Fact]
    public void A_network_without_quantized_populations_has_no_activity_figures_and_dense_ops_everywhere()
    {
        var net = new NetworkDescription(
            [Pop("a", 2, Activation.Relu, null)],
            [Dense(NetworkDescription.InputName, "a", 2, 1, [1, 1])],
            new InputMapping(1, "x"),
            new OutputMapping("a", OutputMapping.LastStep));
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add([], samples: 3, steps: 4);
        var o = MetricsReport.Create(net, acc, 1.0, 0.0).Overall;
        Assert.Null(o.ActivityBits);
        Assert.Null(o.SignificantBits);
        Assert.Null(o.SpikesPerUnitPerStep);
        Assert.Equal(2.0, o.SpikingSynapticOpsPerStep);
        Assert.Equal(2.0, o.DenseSynapticOpsPerStep);
        Assert.Equal(4.0, o.StepsPerInference);
    }

    [Fact]
    public void The_same_counts_give_equal_reports()
    {
        Assert.Equal(WorkedReport(), WorkedReport());
        Assert.NotEqual(WorkedReport(), WorkedReport(accuracy: 0.75));
    }

    [Fact]
    public void A_non_quantized_population_never_fed_is_taken_to_have_seen_the_same_test_set()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add(WorkedCounts, samples: 2, steps: 2); // m not fed, as the golden simulator's observer does
        Assert.Equal(WorkedReport(), MetricsReport.Create(net, acc, 0.5, 1.25));
    }

    [Fact]
    public void A_quantized_population_never_fed_is_refused()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[1].Add([], samples: 2, steps: 2);
        Assert.Contains("population 'h': 0 sequences",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, acc, null, null)).Message);
        Assert.Contains("no population was fed",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, ActivityAccumulator.ForNetwork(net), null, null)).Message);
    }

    [Fact]
    public void Populations_fed_different_test_sets_are_refused_with_both_named()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add(WorkedCounts, 2, 2);
        acc[1].Add([], 2, 3);
        var e = Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, acc, null, null));
        Assert.Contains("population 'm'", e.Message);
        Assert.Contains("'h'", e.Message);
    }

    [Fact]
    public void Missing_unknown_duplicate_or_mismatched_totals_are_refused()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].Add(WorkedCounts, 2, 2);
        acc[1].Add([], 2, 2);
        Assert.Contains("population 'm': no activity totals",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, [acc[0]], null, null)).Message);
        Assert.Contains("given twice",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, [acc[0], acc[1], acc[1]], null, null)).Message);
        var stranger = new ActivityAccumulator("z", 1, true, false, [0]);
        Assert.Contains("population 'z': not in the network",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, [.. acc, stranger], null, null)).Message);
        var wrongFanOut = new ActivityAccumulator("h", 2, true, true, [2, 2]);
        wrongFanOut.Add(WorkedCounts, 2, 2);
        Assert.Contains("fan-out",
            Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, [wrongFanOut, acc[1]], null, null)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricsReport.Create(net, acc, 97.15, null));
    }

    [Fact]
    public void A_population_fed_steps_but_never_step_zero_is_refused()
    {
        var net = Worked();
        var acc = ActivityAccumulator.ForNetwork(net);
        acc[0].AddStep([1, 0], samples: 1, step: 1);
        acc[1].AddStep([], samples: 1, step: 1);
        Assert.Contains("no sequence started", Assert.Throws<ArgumentException>(() => MetricsReport.Create(net, acc, null, null)).Message);
    }
}
