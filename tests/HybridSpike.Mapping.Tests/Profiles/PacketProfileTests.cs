using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Profiles;

/// <summary>A profile's packet sizes and key-only costs (<see cref="PacketFormat"/>) and a link given in bits: the figures, and each mistake refused with its field named.</summary>
public class PacketProfileTests
{
    private static readonly HardwareProfile Spinnaker = HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker");

    private static IReadOnlyList<string> Errors(HardwareProfile p) => p.Validate();

    private static HardwareProfile WithPackets(PacketFormat packets) => Spinnaker with { Packets = packets };

    [Fact]
    public void Spinnaker_packets_are_40_bits_key_only_and_72_with_a_payload() =>
        Assert.Equal((40, 72), (Spinnaker.Packets!.KeyOnlyBits, Spinnaker.Packets.PayloadBits));

    [Fact]
    public void A_spinnaker_key_only_packet_costs_1_nJ_at_every_router() =>
        Assert.Equal((1e-9, 1e-9, 1e-9), (Spinnaker.Packets!.KeyOnlySpikeInTileJoules, Spinnaker.Packets.KeyOnlyHopEastWestJoules, Spinnaker.Packets.KeyOnlyHopNorthSouthJoules));

    [Fact]
    public void A_spinnaker_payload_packet_costs_1_8_nJ_at_every_router() =>
        Assert.Equal((1.8e-9, 1.8e-9, 1.8e-9), (Spinnaker.Costs.SpikeInTileJoules, Spinnaker.Costs.HopEastWestJoules, Spinnaker.Costs.HopNorthSouthJoules));

    [Fact]
    public void A_spinnaker_link_carries_250_Mbit_per_second() =>
        Assert.Equal(250e6, Spinnaker.RealTime!.LinkBitsPerSecond);

    [Fact]
    public void A_spinnaker_link_is_given_in_bits_not_packets() =>
        Assert.Null(Spinnaker.RealTime!.LinkPacketsPerSecond);

    [Fact]
    public void Spinnaker2_assumes_spinnaker_1s_packets() =>
        Assert.Equal(Spinnaker.Packets, HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker2").Packets);

    [Theory]
    [InlineData("loihi")]
    [InlineData("test")]
    public void Barrier_profiles_send_every_packet_alike(string name) =>
        Assert.Null(HybridSpike.Mapping.Profiles.Profiles.Get(name).Packets);

    [Fact]
    public void A_key_only_packet_of_no_bits_is_refused() =>
        Assert.Contains("packets.keyOnlyBits: must be positive, got 0", Errors(WithPackets(Spinnaker.Packets! with { KeyOnlyBits = 0 })));

    [Fact]
    public void A_payload_packet_no_larger_than_a_key_only_one_is_refused() =>
        Assert.Contains("packets.payloadBits: must be more than packets.keyOnlyBits (40), got 40", Errors(WithPackets(Spinnaker.Packets! with { PayloadBits = 40 })));

    [Fact]
    public void A_negative_key_only_router_cost_is_refused() =>
        Assert.Contains("packets.keyOnlyHopNorthSouthJoules: must be zero or positive, got -1E-09",
            Errors(WithPackets(Spinnaker.Packets! with { KeyOnlyHopNorthSouthJoules = -1e-9 })));

    [Fact]
    public void A_link_in_bits_without_packet_sizes_is_refused() =>
        Assert.Contains("realTime.linkBitsPerSecond: needs packets (the packet sizes in bits); or give realTime.linkPacketsPerSecond",
            Errors(Spinnaker with { Packets = null }));

    [Fact]
    public void A_link_in_both_bits_and_packets_is_refused() =>
        Assert.Contains("realTime.linkBitsPerSecond: give it or realTime.linkPacketsPerSecond, not both",
            Errors(Spinnaker with { RealTime = Spinnaker.RealTime! with { LinkPacketsPerSecond = 3472222 } }));

    [Fact]
    public void A_link_in_neither_bits_nor_packets_is_refused() =>
        Assert.Contains("realTime.linkPacketsPerSecond: missing (or realTime.linkBitsPerSecond, with packets)",
            Errors(Spinnaker with { RealTime = Spinnaker.RealTime! with { LinkBitsPerSecond = null } }));

    [Fact]
    public void A_link_of_no_bits_per_second_is_refused() =>
        Assert.Contains("realTime.linkBitsPerSecond: must be positive, got 0", Errors(Spinnaker with { RealTime = Spinnaker.RealTime! with { LinkBitsPerSecond = 0 } }));

    [Fact]
    public void A_link_in_packets_with_packet_sizes_is_valid() =>
        Assert.Empty(Errors(Spinnaker with { RealTime = Spinnaker.RealTime! with { LinkBitsPerSecond = null, LinkPacketsPerSecond = 3472222 } }));

    [Fact]
    public void A_profile_file_with_a_bad_packets_section_names_the_file_and_the_field()
    {
        var json = Spinnaker.ToJson().Replace("\"payloadBits\": 72", "\"payloadBits\": 32");
        var e = Assert.Throws<InvalidDataException>(() => HardwareProfile.Parse(json, "mine.json"));
        Assert.Equal("mine.json: packets.payloadBits: must be more than packets.keyOnlyBits (40), got 32", e.Message);
    }
}
