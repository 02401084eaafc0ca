using System.Collections.Immutable;
using Akka.TestKit.Xunit2;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>
/// The mesh runtime's own concerns: a failing core, telemetry, and regressions. Its agreement with the fixed-point golden
/// model, spike for spike on random networks, profiles, placements and delivery orders, is the simulator contract
/// (Contract/SimulatorContract.cs), which replaced the seeded random-network theories here.
/// </summary>
public class MeshRuntimeTests : TestKit
{
    private static readonly Activation[] Fs = [Activation.Relu, Activation.Tanh, Activation.Linear, Activation.Sigmoid];

    /// <summary>A random layered network with same-step feed-forward and one-step recurrent connections, small enough for the test profile's cores.</summary>
    internal static NetworkDescription RandomNetwork(ulong seed)
    {
        var g = new SplitMix64(seed);
        int dims = 1 + g.NextInt(3);
        int layers = 2 + g.NextInt(2);
        var pops = new List<Population>();
        var conns = new List<Connection>();
        DenseWeights W(int rows, int cols) => new(Matrix.Create(rows, cols, (_, _) => g.NextInt(4) == 0 ? 0 : 2 * g.NextDouble() - 1));
        for (int l = 0; l < layers; l++)
        {
            int size = l == 0 ? 17 + g.NextInt(8) : 5 + g.NextInt(20); // the first layer always needs two test cores
            double? omega = g.NextInt(4) == 0 ? null : new[] { 2.0, 3.5, 8.0 }[g.NextInt(3)];
            pops.Add(new Population($"p{l}", size, Fs[g.NextInt(Fs.Length)], omega,
                [.. Enumerable.Range(0, size).Select(_ => g.NextDouble() - 0.5)], InitialStateMode.Uniform, seed + (ulong)l));
            var source = l == 0 ? ("input", dims) : (pops[l - 1].Name, pops[l - 1].Size);
            conns.Add(new Connection(source.Item1, pops[l].Name, W(size, source.Item2), Delay.SameStep));
            if (g.NextInt(2) == 0) conns.Add(new Connection(pops[l].Name, pops[l].Name, new DenseWeights(Matrix.Create(size, size, (_, _) => 0.3 * (g.NextDouble() - 0.5))), Delay.OneStep));
        }
        pops.Add(new Population("out", 3, Activation.Linear, null, [], InitialStateMode.Zeros, 0));
        conns.Add(new Connection(pops[^2].Name, "out", W(3, pops[^2].Size), Delay.SameStep));
        return new NetworkDescription([.. pops], [.. conns], new InputMapping(dims, "random"), new OutputMapping("out", OutputMapping.LastStep));
    }

    [Fact]
    public async Task A_population_fed_by_nothing_runs_on_its_bias_instead_of_waiting_forever()
    {
        // Found by the simulator contract: a core with no incoming connection got no message, so it never
        // computed its first step and the run hung. It now starts when it is wired.
        var net = new NetworkDescription(
            [new Population("bias", 3, Activation.Relu, 4, [0.3, 0.7, 0.1], InitialStateMode.Zeros, 0),
             new Population("self", 2, Activation.Linear, 2, [0.5, -0.25], InitialStateMode.Zeros, 0),
             new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("self", "self", new DenseWeights(Matrix.Create(2, 2, (i, j) => i == j ? 0.5 : 0)), Delay.OneStep),
             new Connection("bias", "out", new DenseWeights(Matrix.Create(2, 3, (i, j) => i == j % 2 ? 1 : 0)), Delay.SameStep),
             new Connection("self", "out", new DenseWeights(Matrix.Create(2, 2, (i, j) => 1)), Delay.SameStep)],
            new InputMapping(1, "unused"), new OutputMapping("out", OutputMapping.LastStep));
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var inputs = new double[2 * 8];
        var expected = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, 2, 8);
        var actual = await MeshRuntime.RunAsync(Sys, mesh, [.. inputs], 2, 8, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected.Outputs.ToArray(), actual.Outputs.ToArray());
        Assert.Contains(actual.Outputs.ToArray(), v => v != 0);
    }

    /// <summary>A network whose core throws at its first step: ω = 1e12 makes the count overflow int32 inside the core.</summary>
    // A recurrence that multiplies a's activity by 1000 a step: its counts pass int32 at step 2. (A fixed ω too large for
    // int32 counts is refused by NetworkDescription.Validate before anything runs; a recurrence has no static bound.)
    internal static NetworkDescription OverflowingCore() => new(
        [new Population("a", 4, Activation.Linear, 1e6, [], InitialStateMode.Zeros, 0), new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
        [new Connection("input", "a", new DenseWeights(Matrix.Create(4, 1, (_, _) => 1)), Delay.SameStep),
         new Connection("a", "a", new DenseWeights(Matrix.Create(4, 4, (i, j) => i == j ? 1000 : 0)), Delay.OneStep),
         new Connection("a", "out", new DenseWeights(Matrix.Create(2, 4, (_, _) => 1)), Delay.SameStep)],
        new InputMapping(1, "t"), new OutputMapping("out", OutputMapping.LastStep));

    [Fact]
    public async Task A_core_that_fails_ends_the_run_with_its_error_instead_of_hanging()
    {
        var mesh = Compiler.Compile(OverflowingCore(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var run = MeshRuntime.RunAsync(Sys, mesh, [.. Enumerable.Repeat(1.0, 5)], 1, 5, null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("a core failed", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Telemetry_adds_up_packets_sent_received_per_hop_and_per_chip(int randomPlacementSeed)
    {
        var net = RandomNetwork(21);
        // A random placement (the cores' places differ from their order) once broke the route lookup.
        IPlacementStrategy placement = randomPlacementSeed < 0 ? new SequentialPlacement() : new RandomPlacement((ulong)randomPlacementSeed);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), placement);
        int streams = 2, steps = 25;
        var g = new SplitMix64(5);
        var inputs = Enumerable.Range(0, streams * steps * net.Input.Dimensions).Select(_ => g.NextDouble()).ToImmutableArray();
        var run = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, inputs, streams, steps, null, CancellationToken.None);
        var t = run.Telemetry;
        Assert.Equal(mesh.Cores.Length, t.Cores.Length);
        Assert.True(t.Packets > 0);
        // Every packet sent is received, the last step's along one-step edges too (a core waits for them before it reports).
        Assert.Equal(t.Packets, t.Cores.Sum(c => c.PacketsReceived));
        Assert.Equal(t.Packets, t.HopHistogram.Values.Sum());
        Assert.Equal(t.Packets, t.IntraChipPackets + t.InterChipPackets);
        Assert.Equal(t.Packets, t.Cores.Sum(c => c.PacketsSentPerStep.Sum()));
        Assert.Equal((long)streams * steps * net.Populations.Sum(p => p.Size), t.Cores.Sum(c => c.NeuronUpdates));
        Assert.True(t.SynapticEvents > 0 && t.EnergyJoules > 0 && t.SecondsPerStep >= mesh.Profile.Costs.BarrierSeconds);
        if (t.BusiestLink is { } busiest) Assert.Equal(t.Links.Max(l => l.Packets), busiest.Packets);
        Assert.Equal(t.HopHistogram.Sum(h => h.Key * h.Value), t.Links.Sum(l => l.Packets)); // every hop of every packet is on a link
    }
}
