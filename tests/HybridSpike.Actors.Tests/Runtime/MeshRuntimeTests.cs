using System.Collections.Immutable;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>The actor mesh against the fixed-point golden simulator: spike for spike, on random networks split over many cores.</summary>
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

    private sealed class Recorder : IActivityObserver
    {
        public readonly List<(int Step, string Population, int[] Counts)> Seen = [];
        public void OnCounts(int step, Population population, ReadOnlySpan<int> counts) => Seen.Add((step, population.Name, counts.ToArray()));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(5UL)]
    public async Task On_random_networks_split_over_many_cores_the_mesh_matches_the_fixed_point_golden_model_spike_for_spike(ulong seed)
    {
        var net = RandomNetwork(seed);
        var mesh = Compiler.Compile(net, HybridSpike.Actors.Profiles.Profiles.Get("test"), new SequentialPlacement());
        Assert.True(mesh.Cores.Length > net.Populations.Length, "the test profile should split something");
        var g = new SplitMix64(seed * 7);
        int streams = 3, steps = 30;
        var inputs = Enumerable.Range(0, streams * steps * net.Input.Dimensions).Select(_ => g.NextDouble()).ToArray();

        var expected = new Recorder();
        var golden = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(inputs, streams, steps, expected);
        var actual = new Recorder();
        var result = await MeshRuntime.RunAsync(Sys, mesh, [.. inputs], streams, steps, actual, CancellationToken.None);

        Assert.Equal(golden.Outputs.ToArray(), result.Outputs.ToArray());
        Assert.Equal(golden.Predictions.ToArray(), result.Predictions.ToArray());
        Assert.Equal(expected.Seen.Count, actual.Seen.Count);
        for (int i = 0; i < expected.Seen.Count; i++)
        {
            Assert.Equal((expected.Seen[i].Step, expected.Seen[i].Population), (actual.Seen[i].Step, actual.Seen[i].Population));
            Assert.Equal(expected.Seen[i].Counts, actual.Seen[i].Counts);
        }
    }

    [Fact]
    public async Task The_same_network_gives_the_same_spikes_on_another_profile_and_placement()
    {
        var net = RandomNetwork(11);
        var inputs = Enumerable.Range(0, 2 * 20 * net.Input.Dimensions).Select(i => (i % 7) / 7.0).ToImmutableArray();
        var split = Compiler.Compile(net, HybridSpike.Actors.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var whole = Compiler.Compile(net, HybridSpike.Actors.Profiles.Profiles.Get("test") with { Core = HybridSpike.Actors.Profiles.Profiles.Get("test").Core with { Units = 64 } }, new SequentialPlacement());
        Assert.NotEqual(split.Cores.Length, whole.Cores.Length);
        // Discretization blocks follow the cores, so compare each mesh with its own golden model, and the two meshes where the weights agree.
        var a = await MeshRuntime.RunAsync(Sys, split, inputs, 2, 20, null, CancellationToken.None);
        var b = FixedPointSimulator.Create(split.Discretized.FixedPoint()).Run(inputs.AsSpan(), 2, 20);
        Assert.Equal(b.Outputs.ToArray(), a.Outputs.ToArray());
        var c = await MeshRuntime.RunAsync(Sys, whole, inputs, 2, 20, null, CancellationToken.None);
        var d = FixedPointSimulator.Create(whole.Discretized.FixedPoint()).Run(inputs.AsSpan(), 2, 20);
        Assert.Equal(d.Outputs.ToArray(), c.Outputs.ToArray());
    }

    [Fact]
    public async Task A_core_that_fails_ends_the_run_with_its_error_instead_of_hanging()
    {
        // ω = 1e12 makes the first step's count overflow int32 inside the core: the core throws.
        var net = new NetworkDescription(
            [new Population("a", 4, Activation.Linear, 1e12, [], InitialStateMode.Zeros, 0), new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "a", new DenseWeights(Matrix.Create(4, 1, (_, _) => 1)), Delay.SameStep),
             new Connection("a", "out", new DenseWeights(Matrix.Create(2, 4, (_, _) => 1)), Delay.SameStep)],
            new InputMapping(1, "t"), new OutputMapping("out", OutputMapping.LastStep));
        var mesh = Compiler.Compile(net, HybridSpike.Actors.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var run = MeshRuntime.RunAsync(Sys, mesh, [.. Enumerable.Repeat(1.0, 5)], 1, 5, null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("a core failed", e.Message);
    }

    [Fact]
    public async Task Telemetry_adds_up_packets_sent_received_per_hop_and_per_chip()
    {
        var net = RandomNetwork(21);
        var mesh = Compiler.Compile(net, HybridSpike.Actors.Profiles.Profiles.Get("test"), new SequentialPlacement());
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
    }
}
