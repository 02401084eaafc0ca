using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Profiles;

public sealed class HardwareProfileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-profile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_loihi_profile_has_Davies_2018_figures()
    {
        var p = HybridSpike.Mapping.Profiles.Profiles.Get("loihi");
        Assert.Equal(128, p.Layout.CoresPerChip);
        Assert.Equal((1024, 4096, 4096, 128L * 1024 * 8), (p.Core.Units, p.Core.InputAxons, p.Core.OutputAxons, p.Core.SynapseMemoryBits));
        Assert.Equal(9, p.Core.WeightBits); // weights 1-9 bits, used in full
        Assert.Equal(("mesh-2d", "xy", false), (p.Routing.Topology, p.Routing.Algorithm, p.Routing.Multicast));
        Assert.Equal(23.6e-12, p.Costs.SynapticOpJoules);
        Assert.Equal(81e-12, p.Costs.NeuronUpdateJoules);
        Assert.Equal(4.0e-12, p.Costs.HopNorthSouthJoules);
    }

    [Fact]
    public void The_built_in_profiles_are_loihi_spinnaker_spinnaker2_and_test()
    {
        Assert.Equal(["loihi", "spinnaker", "spinnaker2", "test"], HybridSpike.Mapping.Profiles.Profiles.Names.ToArray());
        Assert.Equal(16, HybridSpike.Mapping.Profiles.Profiles.Get("test").Core.Units);
    }

    [Fact]
    public void An_unknown_profile_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => HybridSpike.Mapping.Profiles.Profiles.Get("truenorth"));
        Assert.Contains("loihi, spinnaker, spinnaker2, test", e.Message);
    }

    [Fact]
    public void A_profile_file_round_trips_and_loads_by_path()
    {
        var loihi = HybridSpike.Mapping.Profiles.Profiles.Get("loihi");
        var path = Path.Combine(_dir, "mine.json");
        File.WriteAllText(path, (loihi with { Name = "mine", Layout = loihi.Layout with { ChipsX = 8 } }).ToJson());
        var mine = HybridSpike.Mapping.Profiles.Profiles.Get(path);
        Assert.Equal(8 * 128, mine.Layout.Cores);
    }

    [Theory]
    [InlineData("\"units\": 1024", "\"units\": 0", "core.units")]
    [InlineData("\"weightBits\": 9", "\"weightBits\": 40", "core.weightBits")]
    [InlineData("\"algorithm\": \"xy\"", "\"algorithm\": \"yx\"", "routing.algorithm")]
    [InlineData("\"topology\": \"mesh-2d\"", "\"topology\": \"torus\"", "routing.topology")]
    [InlineData("\"multicast\": false", "\"multicast\": null", "routing.multicast")]
    [InlineData("\"multicast\": false", "\"multicast\": \"no\"", "multicast")]
    [InlineData("\"chipsX\": 2", "\"chipsX\": 2, \"chipz\": 1", "chipz")]
    [InlineData("\"chipsX\": 2", "\"chipsX\": 2, \"chipsX\": 3", "chipsX")]
    public void A_bad_profile_is_refused_naming_the_field(string from, string to, string field)
    {
        var json = HybridSpike.Mapping.Profiles.Profiles.Get("loihi").ToJson().Replace(from, to);
        Assert.Contains(to, json);
        var e = Assert.Throws<InvalidDataException>(() => HardwareProfile.Parse(json, "bad.json"));
        Assert.StartsWith("bad.json", e.Message);
        Assert.Contains(field, e.Message);
    }
}
