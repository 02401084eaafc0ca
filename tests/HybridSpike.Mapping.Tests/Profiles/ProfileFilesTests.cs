using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Profiles;

/// <summary>
/// The profile files under configs/profiles (the larger machines of the traffic studies): each loads, and keeps the
/// figures of the built-in profile it enlarges, so that a change to a built-in's sources reaches them too.
/// </summary>
public class ProfileFilesTests
{
    private static string Folder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HybridSpike.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("HybridSpike.sln not found above the test's folder"), "configs", "profiles");
    }

    public static TheoryData<string, string> Files => new()
    {
        { "spinnaker-288.json", "spinnaker" },
        { "loihi-64.json", "loihi" },
    };

    [Fact]
    public void Every_file_in_the_folder_is_listed_here()
    {
        Assert.Equal(Files.Select(f => (string)f[0]).Order(), Directory.GetFiles(Folder(), "*.json").Select(Path.GetFileName).Order());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_file_is_its_built_in_profile_on_more_chips(string file, string builtin)
    {
        var p = Mapping.Profiles.Profiles.Get(Path.Combine(Folder(), file));
        var b = Mapping.Profiles.Profiles.Get(builtin);
        Assert.Equal(b with { Name = p.Name, Description = p.Description, Layout = p.Layout }, p);
        Assert.Equal((b.Layout.CoresX, b.Layout.CoresY), (p.Layout.CoresX, p.Layout.CoresY));
        Assert.True(p.Layout.Chips > b.Layout.Chips, $"{file}: {p.Layout.Chips} chips, no more than {builtin}'s {b.Layout.Chips}");
    }
}
