using System.Collections.Immutable;
using Akka.TestKit.Xunit2;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Actors.Runtime;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Actors.Tests.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Telemetry;

/// <summary>Telemetry per step and in total: worked out by hand on a tiny network, and the totals against the steps on random ones.</summary>
public class MeshTelemetryTests : TestKit
{
    private static HybridSpike.Mapping.Profiles.HardwareProfile TestProfile => HybridSpike.Mapping.Profiles.Profiles.Get("test");

    /// <summary>
    /// On the test profile (2×2 chips of 2×2 cores, 16 units a core): "a", 64 quantized linear units
    /// (ω = 1), on cores 0-3 at (0,0) (1,0) (0,1) (1,1); only units 0, 1 (core 0), 32, 33, 34 (core 2)
    /// and 48 (core 3) have a bias (1) and an input weight (1), so each of them sends n = 1 every step
    /// unless the input is −1. "out", 3 linear units on core 4 at (2,0) on the next chip, hears those
    /// six units (weights 0.25) and itself one step later (0.25·I).
    /// </summary>
    internal static NetworkDescription HandNetwork()
    {
        int[] biased = [0, 1, 32, 33, 34, 48];
        var bias = Enumerable.Range(0, 64).Select(u => biased.Contains(u) ? 1.0 : 0.0).ToImmutableArray();
        return new NetworkDescription(
            [new Population("a", 64, Activation.Linear, 1.0, bias, InitialStateMode.Zeros, 0),
             new Population("out", 3, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "a", new DenseWeights(Matrix.Create(64, 1, (u, _) => biased.Contains(u) ? 1 : 0)), Delay.SameStep),
             new Connection("a", "out", new DenseWeights(Matrix.Create(3, 64, (_, u) => biased.Contains(u) ? 0.25 : 0)), Delay.SameStep),
             new Connection("out", "out", new DenseWeights(Matrix.Create(3, 3, (i, j) => i == j ? 0.25 : 0)), Delay.OneStep)],
            new InputMapping(1, "hand"), new OutputMapping("out", OutputMapping.LastStep));
    }

    private async Task<MeshTelemetry> RunHandNetwork()
    {
        var mesh = Compiler.Compile(HandNetwork(), TestProfile, new SequentialPlacement(), new CompileOptions(false, ExponentBlock.Core));
        Assert.Equal([(0, 0), (1, 0), (0, 1), (1, 1), (2, 0)], mesh.Routed.Placed.Placements.Select(p => (p.Core.X, p.Core.Y)));
        // Two streams, four steps: stream 1's input is −1 at step 2, which silences every biased unit of "a" there.
        double[] inputs = [0, 0, 0, 0, /* stream 1 */ 0, 0, -1, 0];
        var run = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [.. inputs], 2, 4, null, CancellationToken.None);
        return run.Telemetry;
    }

    [Fact]
    public async Task On_a_hand_built_network_every_count_per_step_per_link_and_per_hop_is_the_hand_computed_one()
    {
        var t = await RunHandNetwork();
        Assert.Equal((2, 4), (t.Streams, t.Steps));

        // Spikes: 2 + 3 + 1 biased units fire once a step in each of the 2 streams, but not in stream 1 at step 2.
        Assert.Equal([12, 12, 6, 12], t.PerStep.Select(s => s.Spikes));
        Assert.Equal([[4, 4, 2, 4], [0, 0, 0, 0], [6, 6, 3, 6], [2, 2, 1, 2], [0, 0, 0, 0]], t.Cores.Select(c => c.SpikesPerStep.ToArray()));
        // Packets: each "a" core sends its nonzero payloads to core 4; core 4 sends its 3 units × 2 streams to itself.
        Assert.Equal([[4, 4, 2, 4], [0, 0, 0, 0], [6, 6, 3, 6], [2, 2, 1, 2], [6, 6, 6, 6]], t.Cores.Select(c => c.PacketsSentPerStep.ToArray()));
        Assert.Equal([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [18, 18, 12, 18]], t.Cores.Select(c => c.PacketsReceivedPerStep.ToArray()));
        Assert.Equal([18, 18, 12, 18], t.PerStep.Select(s => s.PacketsSent));
        // Payload packets: the spikes of "a" are all +1 (key-only); core 4's linear payloads are graded, so all of them.
        Assert.Equal([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [6, 6, 6, 6]], t.Cores.Select(c => c.PayloadPacketsSentPerStep.ToArray()));
        Assert.Equal([6, 6, 6, 6], t.PerStep.Select(s => s.PayloadPacketsSent));
        Assert.Equal([18, 18, 12, 18], t.PerStep.Select(s => s.PacketsReceived));
        // Synaptic events: the input is nonzero only in stream 1 at step 2 (one per biased unit of each core);
        // "out" gets 6 spikes × 3 weights per stream, and from step 1 its own 3 payloads × 1 weight per stream.
        Assert.Equal([[0, 0, 2, 0], [0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 1, 0], [36, 42, 24, 42]], t.Cores.Select(c => c.SynapticEventsPerStep.ToArray()));
        Assert.Equal([36, 42, 30, 42], t.PerStep.Select(s => s.SynapticEvents));
        Assert.Equal([134, 134, 134, 134], t.PerStep.Select(s => s.NeuronUpdates));

        // Routes, X then Y: 0→4 E E (2 hops), 1→4 E (1), 2→4 E E N (3), 3→4 E N (2), 4→4 none; all but the last cross from chip (0,0) to chip (1,0).
        Assert.Equal([6, 6, 6, 6], t.PerStep.Select(s => s.IntraChipPackets));
        Assert.Equal([12, 12, 6, 12], t.PerStep.Select(s => s.InterChipPackets));
        Assert.Equal((24, 42), (t.IntraChipPackets, t.InterChipPackets));
        Assert.Equal(new Dictionary<int, long> { [0] = 24, [1] = 0, [2] = 21, [3] = 21 }, t.HopHistogram);
        var links = t.Links.Select(l => ((l.FromX, l.FromY, l.ToX, l.ToY), l.Direction, l.CrossesChips, l.Packets, l.PacketsPerStep.ToArray())).ToArray();
        Assert.Equal(
        [
            ((1, 1, 2, 1), "E", true, 28L, new long[] { 8, 8, 4, 8 }),
            ((2, 1, 2, 0), "N", false, 28L, new long[] { 8, 8, 4, 8 }),
            ((0, 1, 1, 1), "E", false, 21L, new long[] { 6, 6, 3, 6 }),
            ((0, 0, 1, 0), "E", false, 14L, new long[] { 4, 4, 2, 4 }),
            ((1, 0, 2, 0), "E", true, 14L, new long[] { 4, 4, 2, 4 }),
        ], links);
        Assert.Equal((8L, 0, 7.0), (t.Links[0].PeakPacketsPerStep, t.Links[0].PeakStep, t.Links[0].MeanPacketsPerStep));
        Assert.Equal(new Link(1, 1, 2, 1), t.BusiestLink!.Link);
        Assert.All(t.PerStep, s => Assert.Equal(new Link(1, 1, 2, 1), s.BusiestLink));
        Assert.Equal([8, 8, 4, 8], t.PerStep.Select(s => s.BusiestLinkPackets));
        Assert.Equal([22, 22, 11, 22], t.PerStep.Select(s => s.HopsEastWest));
        Assert.Equal([8, 8, 4, 8], t.PerStep.Select(s => s.HopsNorthSouth));

        // Energy (test profile: 23.6, 81, 1.7 pJ; 3.0 pJ east-west, 4.0 north-south) and time (4.1 ns east-west,
        // 6.5 ns north-south, 465 ns barrier): the busiest link's 8 packets / 2 streams east, then route 2→4 (E E N).
        double Energy(long syn, long updates, long packets, long ew, long ns) => syn * 23.6e-12 + updates * 81e-12 + packets * 1.7e-12 + ew * 3.0e-12 + ns * 4.0e-12;
        Assert.Equal(Energy(36, 134, 18, 22, 8), t.PerStep[0].Energy.TotalJoules, 1e-24);
        Assert.Equal(Energy(30, 134, 12, 11, 4), t.PerStep[2].Energy.TotalJoules, 1e-24);
        Assert.Equal(Energy(150, 536, 66, 77, 28), t.EnergyJoules, 1e-24);
        Assert.Equal(4 * 4.1e-9, t.PerStep[0].Time.SerializationSeconds, 1e-21);
        Assert.Equal(2 * 4.1e-9, t.PerStep[2].Time.SerializationSeconds, 1e-21);
        Assert.All(t.PerStep, s => Assert.Equal(4.1e-9 + 4.1e-9 + 6.5e-9, s.Time.RouteSeconds, 1e-21));
        Assert.All(t.PerStep, s => Assert.Equal(465e-9, s.Time.BarrierSeconds));
        Assert.Equal(3 * (16.4e-9 + 14.7e-9 + 465e-9) + (8.2e-9 + 14.7e-9 + 465e-9), t.SecondsPerInference, 1e-18);
        Assert.Equal(t.SecondsPerInference / 4, t.SecondsPerStep, 1e-21);
    }

    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    public async Task Totals_are_the_sums_of_the_steps_and_every_packet_sent_is_received(ulong seed)
    {
        var net = MeshRuntimeTests.RandomNetwork(seed);
        var mesh = Compiler.Compile(net, TestProfile, new SequentialPlacement());
        int streams = 2, steps = 12;
        var g = new SplitMix64(seed);
        var inputs = Enumerable.Range(0, streams * steps * net.Input.Dimensions).Select(_ => g.NextDouble() - 0.3).ToImmutableArray();
        var t = (await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, inputs, streams, steps, null, CancellationToken.None)).Telemetry;
        AssertTotalsAreSumsOfSteps(t);
        Assert.True(t.Packets > 0 && t.SynapticEvents > 0);
    }

    [Fact]
    public async Task Runs_combined_are_one_run_of_all_their_streams()
    {
        var mesh = Compiler.Compile(HandNetwork(), TestProfile, new SequentialPlacement(), new CompileOptions(false, ExponentBlock.Core));
        var one = (await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [0, 0, 0, 0], 1, 4, null, CancellationToken.None)).Telemetry;
        var other = (await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [0, 0, -1, 0], 1, 4, null, CancellationToken.None)).Telemetry;
        var both = MeshTelemetry.Combine(mesh, [one, other]);
        var together = await RunHandNetwork();
        AssertTotalsAreSumsOfSteps(both);
        Assert.Equal(together.Streams, both.Streams);
        Assert.True(together.PerStep.SequenceEqual(both.PerStep));
        Assert.Equal(together.Links.Select(l => (l.Link, l.Packets)), both.Links.Select(l => (l.Link, l.Packets)));
        Assert.Equal(together.HopHistogram, both.HopHistogram);
        Assert.Equal(together.EnergyJoules, both.EnergyJoules, 1e-24);
        Assert.Equal(together.SecondsPerInference, both.SecondsPerInference, 1e-21);
    }

    [Fact]
    public void Traffic_that_does_not_cover_every_step_is_refused_naming_the_core()
    {
        var mesh = Compiler.Compile(HandNetwork(), TestProfile, new SequentialPlacement(), new CompileOptions(false, ExponentBlock.Core));
        ImmutableArray<long> Zeros(int n) => [.. new long[n]];
        var cores = Enumerable.Range(0, 5).Select(k => new CoreTraffic(k, Zeros(4), Zeros(4), Zeros(4), Zeros(k == 3 ? 3 : 4),
            ImmutableDictionary<int, ImmutableArray<long>>.Empty, ImmutableDictionary<int, ImmutableArray<long>>.Empty));
        var e = Assert.Throws<ArgumentException>(() => MeshTelemetry.From(mesh, 1, 4, cores));
        Assert.Contains("core 3", e.Message);
    }

    internal static void AssertTotalsAreSumsOfSteps(MeshTelemetry t)
    {
        Assert.Equal(t.Steps, t.PerStep.Length);
        Assert.Equal(t.Spikes, t.PerStep.Sum(s => s.Spikes));
        Assert.Equal(t.Packets, t.PerStep.Sum(s => s.PacketsSent));
        Assert.Equal(t.PacketsReceived, t.PerStep.Sum(s => s.PacketsReceived));
        Assert.Equal(t.SynapticEvents, t.PerStep.Sum(s => s.SynapticEvents));
        Assert.Equal(t.NeuronUpdates, t.PerStep.Sum(s => s.NeuronUpdates));
        Assert.Equal(t.IntraChipPackets, t.PerStep.Sum(s => s.IntraChipPackets));
        Assert.Equal(t.InterChipPackets, t.PerStep.Sum(s => s.InterChipPackets));
        Assert.Equal(t.Packets, t.IntraChipPackets + t.InterChipPackets);
        Assert.Equal(t.Packets, t.HopHistogram.Values.Sum());
        // Every packet sent reaches its destination within the run, step by step.
        Assert.Equal(t.PerStep.Select(s => s.PacketsSent), t.PerStep.Select(s => s.PacketsReceived));
        foreach (var c in t.Cores)
            Assert.Equal(c.PacketsReceived, t.Cores.Sum(s => s.PacketsTo.GetValueOrDefault(c.Core)));
        // Link traversals: per link and in total, per step and over the run.
        foreach (var l in t.Links) Assert.Equal(l.Packets, l.PacketsPerStep.Sum());
        Assert.Equal(t.HopHistogram.Sum(h => h.Key * h.Value), t.Links.Sum(l => l.Packets));
        Assert.Equal(t.Links.Sum(l => l.Packets), t.PerStep.Sum(s => s.HopsEastWest + s.HopsNorthSouth));
        for (int s = 0; s < t.Steps; s++)
            Assert.Equal(t.Links.Select(l => l.PacketsPerStep[s]).DefaultIfEmpty().Max(), t.PerStep[s].BusiestLinkPackets);
        // Energy term by term: the totals' estimate equals the sum of the steps' (up to rounding).
        double Close(double total) => Math.Abs(total) * 1e-12;
        Assert.Equal(t.Energy.SynapticOpsJoules, t.PerStep.Sum(s => s.Energy.SynapticOpsJoules), Close(t.Energy.SynapticOpsJoules));
        Assert.Equal(t.Energy.NeuronUpdatesJoules, t.PerStep.Sum(s => s.Energy.NeuronUpdatesJoules), Close(t.Energy.NeuronUpdatesJoules));
        Assert.Equal(t.Energy.SpikesInTileJoules, t.PerStep.Sum(s => s.Energy.SpikesInTileJoules), Close(t.Energy.SpikesInTileJoules));
        Assert.Equal(t.Energy.HopsJoules, t.PerStep.Sum(s => s.Energy.HopsJoules), Close(t.Energy.HopsJoules));
        Assert.Equal(t.EnergyJoules, t.PerStep.Sum(s => s.Energy.TotalJoules), Close(t.EnergyJoules));
        Assert.Equal(t.SecondsPerInference, t.PerStep.Sum(s => s.Time.TotalSeconds));
        Assert.All(t.PerStep, s => Assert.True(s.Time.TotalSeconds >= s.Time.BarrierSeconds));
    }
}
