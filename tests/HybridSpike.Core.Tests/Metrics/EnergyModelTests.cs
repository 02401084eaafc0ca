using HybridSpike.Core.Metrics;

namespace HybridSpike.Core.Tests.Metrics;

public class EnergyModelTests
{
    [Theory]
    [InlineData("cpu", 8.6e-9, 8.6e-9, false)]
    [InlineData("gpu", 0.3e-9, 0.3e-9, false)]
    [InlineData("arm", 0.9e-9, 0.9e-9, false)]
    [InlineData("loihi", 27.1e-12, 81e-12, true)]
    [InlineData("spinnaker", 13.3e-9, 26e-9, true)]
    [InlineData("spinnaker2", 450e-12, 2.19e-9, true)]
    public void The_devices_carry_the_KerasSpiking_figures_of_the_hardware_table(string name, double synOp, double neuron, bool spiking)
    {
        var d = EnergyModel.Device(name);
        Assert.Equal(name, d.Name);
        Assert.Equal(synOp, d.SynapticOpJoules, synOp * 1e-12);
        Assert.Equal(neuron, d.NeuronUpdateJoules, neuron * 1e-12);
        Assert.Equal(spiking, d.IsSpiking);
    }

    [Fact]
    public void Device_names_parse_case_insensitively()
    {
        Assert.Same(EnergyModel.Loihi, EnergyModel.Device("LoIHI"));
        Assert.Same(EnergyModel.SpiNNaker2, EnergyModel.Device("SpiNNaker2"));
        Assert.Equal(6, EnergyModel.Devices.Length);
    }

    [Fact]
    public void An_unknown_device_is_refused_with_the_valid_names_listed()
    {
        var e = Assert.Throws<ArgumentException>(() => EnergyModel.Device("tpu", "--device"));
        Assert.Contains("--device: unknown device 'tpu'", e.Message);
        Assert.Contains("cpu, gpu, arm, loihi, spinnaker, spinnaker2", e.Message);
    }

    [Fact]
    public void A_non_spiking_device_prices_every_synapse_and_a_spiking_one_only_the_active_ones()
    {
        var ops = new OperationCounts(DenseSynapticOpsPerStep: 100, SpikingSynapticOpsPerStep: 10, NeuronUpdatesPerStep: 4, StepsPerInference: 3);
        var cpu = EnergyModel.PerInference(EnergyModel.Cpu, ops);
        Assert.Equal(300, cpu.SynapticOpsPerInference);
        Assert.Equal(12, cpu.NeuronUpdatesPerInference);
        Assert.Equal(312 * 8.6e-9, cpu.Joules, 1e-18);
        var loihi = EnergyModel.PerInference(EnergyModel.Loihi, ops);
        Assert.Equal(30, loihi.SynapticOpsPerInference);
        Assert.Equal(30 * 27.1e-12, loihi.SynapticJoules, 1e-21);
        Assert.Equal(12 * 81e-12, loihi.NeuronJoules, 1e-21);
        Assert.Equal(30 * 27.1e-12 + 12 * 81e-12, loihi.Joules, 1e-21);
    }
}
