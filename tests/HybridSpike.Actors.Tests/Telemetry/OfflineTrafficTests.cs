using System.Collections.Immutable;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Tests.Telemetry;

/// <summary>Every way two runs' per-core counts can differ, named (core, count, step); empty when they agree.</summary>
internal static class TrafficDifferences
{
    public static ImmutableArray<string> Of(IReadOnlyList<CoreTraffic> expected, IReadOnlyList<CoreTraffic> actual)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        if (expected.Count != actual.Count) return [$"{expected.Count} cores expected, {actual.Count} counted"];
        for (int k = 0; k < expected.Count; k++)
        {
            var (e, a) = (expected[k], actual[k]);
            if (e.Core != a.Core) problems.Add($"place {k}: core {e.Core} expected, core {a.Core} found");
            void Compare(string what, ImmutableArray<long> x, ImmutableArray<long> y)
            {
                if (x.Length != y.Length) { problems.Add($"core {e.Core} {what}: {x.Length} steps expected, {y.Length} found"); return; }
                for (int t = 0; t < x.Length; t++)
                    if (x[t] != y[t]) problems.Add($"core {e.Core} {what} at step {t}: {x[t]} expected, {y[t]} found");
            }
            Compare("synaptic events", e.SynapticEventsPerStep, a.SynapticEventsPerStep);
            Compare("neuron updates", e.NeuronUpdatesPerStep, a.NeuronUpdatesPerStep);
            Compare("spikes", e.SpikesPerStep, a.SpikesPerStep);
            Compare("packets received", e.PacketsReceivedPerStep, a.PacketsReceivedPerStep);
            if (!e.PacketsToPerStep.Keys.Order().SequenceEqual(a.PacketsToPerStep.Keys.Order()))
                problems.Add($"core {e.Core} destinations: [{string.Join(", ", e.PacketsToPerStep.Keys.Order())}] expected, [{string.Join(", ", a.PacketsToPerStep.Keys.Order())}] found");
            else
                foreach (var d in e.PacketsToPerStep.Keys.Order()) Compare($"packets to core {d}", e.PacketsToPerStep[d], a.PacketsToPerStep[d]);
            if (!e.PayloadPacketsToPerStep.Keys.Order().SequenceEqual(a.PayloadPacketsToPerStep.Keys.Order()))
                problems.Add($"core {e.Core} payload destinations: [{string.Join(", ", e.PayloadPacketsToPerStep.Keys.Order())}] expected, [{string.Join(", ", a.PayloadPacketsToPerStep.Keys.Order())}] found");
            else
                foreach (var d in e.PayloadPacketsToPerStep.Keys.Order()) Compare($"payload packets to core {d}", e.PayloadPacketsToPerStep[d], a.PayloadPacketsToPerStep[d]);
        }
        return problems.ToImmutable();
    }
}

/// <summary>The offline traffic (golden model + compiled mesh, no actors) against the actor mesh's own counts.</summary>
public class OfflineTrafficTests : TestKit
{
    private static HybridSpike.Mapping.Profiles.HardwareProfile TestProfile => HybridSpike.Mapping.Profiles.Profiles.Get("test");

    // The hand network of MeshTelemetryTests: two streams, four steps, stream 1 silenced at step 2; a one-step recurrence on "out".
    private static readonly double[] HandInputs = [0, 0, 0, 0, /* stream 1 */ 0, 0, -1, 0];

    private static CompiledMesh HandMesh() =>
        Compiler.Compile(MeshTelemetryTests.HandNetwork(), TestProfile, new SequentialPlacement(), new CompileOptions(false, ExponentBlock.Core));

    [Fact]
    public async Task On_the_hand_network_every_per_core_count_per_step_is_the_mesh_runs()
    {
        var mesh = HandMesh();
        var run = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [.. HandInputs], 2, 4, null, CancellationToken.None);
        var (_, activity) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        Assert.Empty(TrafficDifferences.Of(run.Telemetry.Cores, OfflineTraffic.Cores(mesh, activity)));
    }

    [Fact]
    public void On_the_hand_network_the_offline_counts_are_the_hand_computed_ones()
    {
        var mesh = HandMesh();
        var (_, activity) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        var cores = OfflineTraffic.Cores(mesh, activity);
        // As worked out in MeshTelemetryTests: packets per core, what core 4 hears, and the synaptic events (the recurrence from step 1).
        Assert.Equal([[4, 4, 2, 4], [0, 0, 0, 0], [6, 6, 3, 6], [2, 2, 1, 2], [6, 6, 6, 6]], cores.Select(c => c.PacketsSentPerStep.ToArray()));
        // The spikes of "a" are all +1, so key-only; core 4's linear payloads are graded, so all carry them.
        Assert.Equal([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [6, 6, 6, 6]], cores.Select(c => c.PayloadPacketsSentPerStep.ToArray()));
        Assert.Equal([0, 0, 0, 0, 18 + 18 + 12 + 18], cores.Select(c => c.PacketsReceived));
        Assert.Equal([[0, 0, 2, 0], [0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 1, 0], [36, 42, 24, 42]], cores.Select(c => c.SynapticEventsPerStep.ToArray()));
        Assert.Equal([[4, 4, 2, 4], [0, 0, 0, 0], [6, 6, 3, 6], [2, 2, 1, 2], [0, 0, 0, 0]], cores.Select(c => c.SpikesPerStep.ToArray()));
        Assert.Equal([32, 32, 32, 32, 6], cores.Select(c => c.NeuronUpdatesPerStep[0]));
    }

    [Fact]
    public async Task The_offline_telemetry_is_the_mesh_runs_link_for_link()
    {
        var mesh = HandMesh();
        var run = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [.. HandInputs], 2, 4, null, CancellationToken.None);
        var (_, activity) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        var offline = OfflineTraffic.Telemetry(mesh, activity);
        static object Link(LinkLoad l) => (l.FromX, l.FromY, l.ToX, l.ToY, l.Packets, string.Join(",", l.PacketsPerStep), string.Join(",", l.PayloadPacketsPerStep));
        Assert.Equal(run.Telemetry.Links.Select(Link), offline.Links.Select(Link));
        Assert.Equal(run.Telemetry.HopHistogram, offline.HopHistogram);
        Assert.Equal(run.Telemetry.EnergyJoules, offline.EnergyJoules);
        Assert.Equal(run.Telemetry.SecondsPerStep, offline.SecondsPerStep);
    }

    [Fact]
    public async Task On_spinnaker_the_offline_payload_packets_are_the_mesh_runs()
    {
        var mesh = Compiler.Compile(MeshTelemetryTests.HandNetwork(), HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker"), new SequentialPlacement(),
            new CompileOptions(false, ExponentBlock.Core));
        var run = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, [.. HandInputs], 2, 4, null, CancellationToken.None);
        var (_, activity) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        var offline = OfflineTraffic.Telemetry(mesh, activity);
        Assert.Empty(TrafficDifferences.Of(run.Telemetry.Cores, offline.Cores));
        // Both kinds travel: "a"'s 42 plain spikes key-only, "out"'s 24 graded payloads with them.
        Assert.Equal(24, run.Telemetry.PayloadPackets);
        Assert.Equal(66, run.Telemetry.Packets);
        Assert.Equal(run.Telemetry.Energy, offline.Energy);
    }

    [Fact]
    public void Tallying_the_payloads_changes_no_output()
    {
        var mesh = HandMesh();
        var plain = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(HandInputs, 2, 4);
        var (tallied, _) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        Assert.Equal(plain.Outputs.ToArray(), tallied.Outputs.ToArray());
    }

    [Fact]
    public void Batches_add_up_to_one_run_of_all_their_sequences()
    {
        var mesh = HandMesh();
        var (_, both) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        var (_, first) = OfflineTraffic.Run(mesh, HandInputs.AsSpan(0, 4), 1, 4);
        var (_, second) = OfflineTraffic.Run(mesh, HandInputs.AsSpan(4, 4), 1, 4);
        Assert.Empty(TrafficDifferences.Of(OfflineTraffic.Cores(mesh, both), OfflineTraffic.Cores(mesh, PayloadActivity.Add([first, second]))));
    }

    [Fact]
    public void Activity_of_another_network_is_refused_with_both_shapes_named()
    {
        var mesh = HandMesh();
        var (_, activity) = OfflineTraffic.Run(mesh, HandInputs, 2, 4);
        var other = activity with { Sizes = [1, 64, 4] };
        var e = Assert.Throws<ArgumentException>(() => OfflineTraffic.Cores(mesh, other));
        Assert.Contains("[1, 64, 4]", e.Message);
    }
}
