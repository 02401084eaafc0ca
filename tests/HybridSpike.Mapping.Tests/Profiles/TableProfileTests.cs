using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Profiles;

/// <summary>What table routing and the torus need of a profile: each mistake refused with its field named.</summary>
public class TableProfileTests
{
    private static readonly HardwareProfile Spinnaker = HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker");
    private static readonly HardwareProfile Loihi = HybridSpike.Mapping.Profiles.Profiles.Get("loihi");

    private static IReadOnlyList<string> Errors(HardwareProfile p) => p.Validate();

    [Fact]
    public void The_built_in_table_profiles_are_valid()
    {
        Assert.Empty(Errors(Spinnaker));
        Assert.Empty(Errors(HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker2")));
    }

    [Fact]
    public void A_torus_with_two_chips_a_side_is_refused() =>
        Assert.Contains("layout.chipsY: a triangular torus needs at least 3 chips along y, got 2", Errors(Spinnaker with { Layout = Spinnaker.Layout with { ChipsY = 2 } }));

    [Fact]
    public void Table_routing_on_a_mesh_is_refused() =>
        Assert.Contains("routing.algorithm: 'table' needs routing.topology 'triangular-torus', got 'mesh-2d'",
            Errors(Spinnaker with { Routing = Spinnaker.Routing with { Topology = "mesh-2d" } }));

    [Fact]
    public void Table_routing_without_multicast_is_refused() =>
        Assert.Contains("routing.multicast: table routing copies packets where branches part, so it must be true",
            Errors(Spinnaker with { Routing = Spinnaker.Routing with { Multicast = false } }));

    [Fact]
    public void Table_routing_needs_the_table_size() =>
        Assert.Contains("routing.tableEntries: missing (the entries a chip's router holds)", Errors(Spinnaker with { Routing = Spinnaker.Routing with { TableEntries = null } }));

    [Fact]
    public void A_table_of_no_entries_is_refused() =>
        Assert.Contains("routing.tableEntries: must be positive, got 0", Errors(Spinnaker with { Routing = Spinnaker.Routing with { TableEntries = 0 } }));

    [Fact]
    public void An_unknown_compressor_lists_the_valid_ones() =>
        Assert.Contains(Errors(Spinnaker with { Routing = Spinnaker.Routing with { Compressor = "espresso" } }),
            e => e.StartsWith("routing.compressor: unknown 'espresso' (valid: none", StringComparison.Ordinal));

    [Fact]
    public void Table_settings_on_a_dimension_order_profile_are_refused() =>
        Assert.Contains("routing.tableEntries: only for routing.algorithm 'table'", Errors(Loihi with { Routing = Loihi.Routing with { TableEntries = 1023 } }));

    [Fact]
    public void More_cores_per_chip_than_a_routing_entry_names_are_refused() =>
        Assert.Contains("layout: 300 cores per chip, but a routing entry names at most 256", Errors(Spinnaker with { Layout = Spinnaker.Layout with { CoresX = 30, CoresY = 10 } }));

    [Fact]
    public void A_real_time_step_must_be_positive() =>
        Assert.Contains("realTime.stepSeconds: must be positive, got 0", Errors(Spinnaker with { RealTime = Spinnaker.RealTime! with { StepSeconds = 0 } }));

    [Fact]
    public void A_profile_file_with_a_bad_table_section_names_the_file_and_the_field()
    {
        var json = Spinnaker.ToJson().Replace("\"tableEntries\": 1023", "\"tableEntries\": -5");
        var e = Assert.Throws<InvalidDataException>(() => HardwareProfile.Parse(json, "mine.json"));
        Assert.Equal("mine.json: routing.tableEntries: must be positive, got -5", e.Message);
    }
}
