using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Mapping.Tests.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Telemetry;

/// <summary>
/// Key-only and payload packets in the energy model, from golden-model runs: on the spinnaker profile one ReLU unit
/// (ω = 1) on chip (0,0) sends its count to one unit on chip (3,0), E E E, so each packet passes four routers (its
/// source chip's and three hops). An input of 1 makes it send +1 every step (plain spikes: 40-bit key-only packets,
/// 1 nJ a router), an input of 2 makes it send 2 (72-bit payload packets, 1.8 nJ a router).
/// </summary>
public class PacketEnergyTests
{
    private const int Steps = 4;
    private static readonly HardwareProfile Spinnaker = HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker");

    private static MeshTelemetry Run(HardwareProfile profile, params double[] inputs)
    {
        var mesh = Compiler.Compile(TableCases.Chain(1, 1), profile, new FixedPlacement(0, TableCases.CoreOn(profile, 3, 0)));
        var (_, activity) = OfflineTraffic.Run(mesh, inputs, 1, inputs.Length);
        return OfflineTraffic.Telemetry(mesh, activity);
    }

    private static double RouterJoules(MeshTelemetry t) => t.Energy.SpikesInTileJoules + t.Energy.HopsJoules;

    [Fact]
    public void Counts_of_one_travel_key_only()
    {
        var t = Run(Spinnaker, 1, 1, 1, 1);
        Assert.Equal(Steps, t.Packets);
        Assert.Equal(0, t.PayloadPackets);
    }

    [Fact]
    public void Counts_of_one_cost_1_nJ_per_router_passed_on_spinnaker()
    {
        var t = Run(Spinnaker, 1, 1, 1, 1);
        Assert.Equal(Steps * 1e-9, t.Energy.SpikesInTileJoules, 1e-18);
        Assert.Equal(Steps * 3 * 1e-9, t.Energy.HopsJoules, 1e-18);
    }

    [Fact]
    public void Graded_counts_travel_with_their_payload()
    {
        var t = Run(Spinnaker, 2, 2, 2, 2);
        Assert.Equal(Steps, t.Packets);
        Assert.Equal(Steps, t.PayloadPackets);
    }

    [Fact]
    public void Graded_counts_cost_1_8_nJ_per_router_passed_on_spinnaker()
    {
        var t = Run(Spinnaker, 2, 2, 2, 2);
        Assert.Equal(Steps * 1.8e-9, t.Energy.SpikesInTileJoules, 1e-18);
        Assert.Equal(Steps * 3 * 1.8e-9, t.Energy.HopsJoules, 1e-18);
    }

    [Fact]
    public void A_mixed_run_charges_each_packet_its_kind()
    {
        // Two plain spikes and two graded counts, each through four routers.
        var t = Run(Spinnaker, 1, 2, 1, 2);
        Assert.Equal(2 * 4 * 1e-9 + 2 * 4 * 1.8e-9, RouterJoules(t), 1e-18);
    }

    [Fact]
    public void The_steps_energies_add_up_to_the_runs_with_both_kinds_of_packet()
    {
        var t = Run(Spinnaker, 1, 2, 1, 3);
        Assert.Equal(RouterJoules(t), t.PerStep.Sum(s => s.Energy.SpikesInTileJoules + s.Energy.HopsJoules), 1e-18);
    }

    [Fact]
    public void A_step_counts_its_payload_packets()
    {
        var t = Run(Spinnaker, 1, 2, 1, 3);
        Assert.Equal([0, 1, 0, 1], t.PerStep.Select(s => s.PayloadPacketsSent));
    }

    [Fact]
    public void Every_link_counts_the_payload_packets_it_carries()
    {
        var t = Run(Spinnaker, 1, 2, 1, 3);
        Assert.All(t.Links, l => Assert.Equal(new long[] { 0, 1, 0, 1 }, l.PayloadPacketsPerStep.ToArray()));
    }

    /// <summary>Core 0 sending <paramref name="packets"/> a step to core 1, <paramref name="payload"/> of them with a payload.</summary>
    private static ArgumentException Refused(long[] packets, long[] payload, int payloadTo = 1)
    {
        var mesh = Compiler.Compile(TableCases.Chain(1, 1), Spinnaker, new FixedPlacement(0, TableCases.CoreOn(Spinnaker, 3, 0)));
        ImmutableArray<long> Zeros() => [.. new long[packets.Length]];
        var none = ImmutableDictionary<int, ImmutableArray<long>>.Empty;
        var source = new CoreTraffic(0, Zeros(), Zeros(), Zeros(), Zeros(), none.Add(1, [.. packets]), none.Add(payloadTo, [.. payload]));
        var target = new CoreTraffic(1, Zeros(), Zeros(), Zeros(), [.. packets], none, none);
        return Assert.Throws<ArgumentException>(() => MeshTelemetry.From(mesh, 1, packets.Length, [source, target]));
    }

    [Fact]
    public void More_payload_packets_than_packets_are_refused_naming_the_core_and_step() =>
        Assert.Equal("core 0: 3 payload packets to core 1 at step 1, of 2 packets", Refused([2, 2], [0, 3]).Message);

    [Fact]
    public void Payload_packets_to_another_destination_than_the_packets_are_refused() =>
        Assert.Equal("core 0: payload packets to cores [0], packets to [1]: not the same destinations", Refused([2, 2], [0, 0], payloadTo: 0).Message);

    [Fact]
    public void Without_packets_in_the_profile_a_plain_spike_costs_what_a_payload_packet_does()
    {
        var t = Run(Spinnaker with { Packets = null, RealTime = null }, 1, 1, 1, 1);
        Assert.Equal(Steps * 4 * 1.8e-9, RouterJoules(t), 1e-18);
    }
}
