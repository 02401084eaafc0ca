using System.Collections.Immutable;

namespace HybridSpike.Core.Metrics;

/// <summary>A device's energy per operation.</summary>
/// <param name="Name">Lower-case name, as <see cref="EnergyModel.Device"/> parses it.</param>
/// <param name="SynapticOpJoules">Energy of one synaptic operation (one weight applied to one input), in joules.</param>
/// <param name="NeuronUpdateJoules">Energy of one neuron update (one unit, one step), in joules.</param>
/// <param name="IsSpiking">Whether the device is event-based: it computes only synapses that receive a
/// nonzero count; a non-spiking device computes every synapse every step.</param>
public sealed record EnergyDevice(string Name, double SynapticOpJoules, double NeuronUpdateJoules, bool IsSpiking);

/// <summary>
/// Operations of one network per step (mean over the (sample, step) pairs of a test set), and the mean
/// sequence length, from which <see cref="EnergyModel.PerInference"/> estimates energy.
/// </summary>
/// <param name="DenseSynapticOpsPerStep">Every synapse computed every step (including the input's).</param>
/// <param name="SpikingSynapticOpsPerStep">Only synapses receiving a nonzero count; non-quantized
/// populations and the input counted dense.</param>
/// <param name="NeuronUpdatesPerStep">Every unit of every population, every step.</param>
/// <param name="StepsPerInference">T, the mean number of steps of one sequence.</param>
public sealed record OperationCounts(
    double DenseSynapticOpsPerStep,
    double SpikingSynapticOpsPerStep,
    double NeuronUpdatesPerStep,
    double StepsPerInference);

/// <summary>Estimated energy of one inference (one sequence of T steps) on one device.</summary>
/// <param name="SynapticOpsPerInference">Synaptic operations of one inference on this device (dense or spiking view).</param>
/// <param name="NeuronUpdatesPerInference">Neuron updates of one inference: units × T.</param>
/// <param name="SynapticJoules">SynapticOpsPerInference × E_syn.</param>
/// <param name="NeuronJoules">NeuronUpdatesPerInference × E_neuron.</param>
public sealed record DeviceEnergy(
    string Device,
    bool IsSpiking,
    double SynapticOpsPerInference,
    double NeuronUpdatesPerInference,
    double SynapticJoules,
    double NeuronJoules)
{
    /// <summary>Joules per inference: synaptic plus neuron energy.</summary>
    public double Joules => SynapticJoules + NeuronJoules;
}

/// <summary>
/// Energy per inference on the devices of KerasSpiking's <c>ModelEnergy</c> (github nengo/keras-spiking,
/// keras_spiking/model_energy.py; table in ../shared/reference/hardware.md):
/// <code>
///   E = ops_syn · E_syn + updates · E_neuron      per inference (T steps)
///   ops_syn = T · (spiking device ? spiking view : dense view)
///   updates = T · Σ_populations units
/// </code>
/// Only the network's own computation is counted: no transfer on or off the device, no routing, no idle power.
/// </summary>
public static class EnergyModel
{
    // Degnan, Marr & Hasler, IEEE TVLSI 24(1) 2015, as used by KerasSpiking: one MAC per synaptic op or
    // neuron update on an Intel i7-4960X, an Nvidia GTX Titan Black, an ARM Cortex-A.
    public static EnergyDevice Cpu { get; } = new("cpu", 8.6e-9, 8.6e-9, IsSpiking: false);
    public static EnergyDevice Gpu { get; } = new("gpu", 0.3e-9, 0.3e-9, IsSpiking: false);
    public static EnergyDevice Arm { get; } = new("arm", 0.9e-9, 0.9e-9, IsSpiking: false);

    // Davies et al., IEEE Micro 38(1) 2018, Table 2 (0.75 V), as used by KerasSpiking: synaptic op 23.6 pJ
    // plus 3.5 pJ (KerasSpiking adds the two Table 2 figures), neuron update 81 pJ (active).
    public static EnergyDevice Loihi { get; } = new("loihi", (23.6 + 3.5) * 1e-12, 81e-12, IsSpiking: true);

    // Höppner et al., IEEE TCAS-I 66(8) 2019 (arXiv 1903.08941), as used by KerasSpiking.
    public static EnergyDevice SpiNNaker { get; } = new("spinnaker", 13.3e-9, 26e-9, IsSpiking: true);
    public static EnergyDevice SpiNNaker2 { get; } = new("spinnaker2", 450e-12, 2.19e-9, IsSpiking: true);

    /// <summary>The built-in devices, in the order of KerasSpiking's table.</summary>
    public static ImmutableArray<EnergyDevice> Devices { get; } = [Cpu, Gpu, Arm, Loihi, SpiNNaker, SpiNNaker2];

    /// <summary>The built-in device named <paramref name="name"/> (case-insensitive); the error lists the valid names.</summary>
    public static EnergyDevice Device(string name, string what = "device")
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var d in Devices)
            if (string.Equals(d.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return d;
        throw new ArgumentException($"{what}: unknown device '{name}'; valid: {string.Join(", ", Devices.Select(d => d.Name))}");
    }

    /// <summary>Energy of one inference on <paramref name="device"/>: dense synaptic ops on a non-spiking
    /// device, spiking ones on a spiking device; every unit updates every step on both.</summary>
    public static DeviceEnergy PerInference(EnergyDevice device, OperationCounts operations)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(operations);
        double t = operations.StepsPerInference;
        double syn = t * (device.IsSpiking ? operations.SpikingSynapticOpsPerStep : operations.DenseSynapticOpsPerStep);
        double neurons = t * operations.NeuronUpdatesPerStep;
        return new DeviceEnergy(device.Name, device.IsSpiking, syn, neurons, syn * device.SynapticOpJoules, neurons * device.NeuronUpdateJoules);
    }
}
