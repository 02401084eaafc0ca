using System.Text.Json;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Host.Tests;

/// <summary>
/// One <c>traffic --network</c> run on a generated locally-connected network made for a 3×3-chip torus of 2 cores a
/// chip, over that torus, loihi and spinnaker2, placed sequentially and by partition, with the mesh check on one sample.
/// </summary>
public sealed class GeneratedTrafficRun : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("hs-traffic-gen-").FullName;
    public string Report => Path.Combine(Dir, "report");

    /// <summary>A profile JSON file: spinnaker's figures on a 3×3-chip torus of 2 cores a chip, named "torus-3x3".</summary>
    public string Torus { get; }

    public string Network => $"locally-connected:on={Torus},radius=1,targets=1,units=2";
    internal CliResult Result { get; }

    public GeneratedTrafficRun()
    {
        Torus = Path.Combine(Dir, "torus-3x3.json");
        var p = Profiles.Get("spinnaker");
        File.WriteAllText(Torus, (p with { Name = "torus-3x3", Layout = new MeshLayout(3, 3, 2, 1) }).ToJson());
        Result = CliRunner.Run("traffic", "--network", Network, "--profiles", $"{Torus},loihi,spinnaker2", "--placers", "sequential,partition",
            "--samples", "2", "--steps", "8", "--check-mesh", "1", "--report", Report, "--json");
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary><c>hybridspike traffic --network</c>: a generated network on seeded inputs through the same study, and its options checked.</summary>
[Collection(ProcessTests.Name)]
public sealed class GeneratedTrafficTests(GeneratedTrafficRun run) : IClassFixture<GeneratedTrafficRun>
{
    private JsonElement Root()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Error);
        return JsonDocument.Parse(run.Result.Output).RootElement;
    }

    private JsonElement[] Rows() => [.. Root().GetProperty("rows").EnumerateArray()];

    private JsonElement Row(string profile, string placement) =>
        Rows().Single(r => r.GetProperty("profile").GetString() == profile && r.GetProperty("placement").GetString() == placement);

    [Fact]
    public void Every_profile_and_placement_gives_the_same_spikes()
    {
        var rows = Rows();
        Assert.Equal(6, rows.Length);
        Assert.Single(rows.Select(r => r.GetProperty("spikes").GetInt64()).Distinct());
        Assert.True(rows[0].GetProperty("spikes").GetInt64() > 0);
    }

    [Fact]
    public void Payload_packets_are_the_same_on_every_combination_and_at_most_the_packets()
    {
        var rows = Rows();
        long payload = Assert.Single(rows.Select(r => r.GetProperty("payloadPacketsInjected").GetInt64()).Distinct());
        Assert.InRange(payload, 1, rows[0].GetProperty("packetsInjected").GetInt64());
    }

    [Fact]
    public void Every_combination_passed_the_mesh_check()
    {
        Assert.All(Rows(), r => Assert.Equal(1, r.GetProperty("meshChecked").GetInt32()));
    }

    [Fact]
    public void Placed_sequentially_on_its_own_torus_its_deliveries_average_at_most_one_hop()
    {
        // Radius 1: a population's targets are on its chip or a neighbour's, so no delivery takes more than one hop (and some take none).
        var row = Row("torus-3x3", "sequential");
        Assert.InRange(row.GetProperty("hops").GetInt64(), 1, row.GetProperty("deliveries").GetInt64());
    }

    [Fact]
    public void The_report_names_the_generated_network_and_its_inputs()
    {
        var root = Root();
        Assert.Equal(run.Network, root.GetProperty("model").GetString());
        Assert.Equal("2 sequences uniform in [-1, 1) from seed 1", root.GetProperty("inputs").GetString());
        var md = File.ReadAllLines(Path.Combine(run.Report, "traffic.md"));
        Assert.Equal("# Traffic of a locally-connected network of 36 units (18 populations of 2, each feeding 1 on every chip within 1 hops) made for torus-3x3.json", md[0]);
        Assert.Contains($"`{run.Network}`", md[2]);
    }

    [Fact]
    public void Another_seed_gives_other_spikes()
    {
        var other = CliRunner.Run("traffic", "--network", run.Network, "--profiles", run.Torus, "--placers", "sequential",
            "--samples", "2", "--steps", "8", "--seed", "2", "--check-mesh", "0", "--json");
        Assert.True(other.ExitCode == 0, other.Error);
        long spikes = JsonDocument.Parse(other.Output).RootElement.GetProperty("rows")[0].GetProperty("spikes").GetInt64();
        Assert.NotEqual(Rows()[0].GetProperty("spikes").GetInt64(), spikes);
    }

    [Theory]
    [InlineData("give either --model or --network, not both", "--model", "m.hsa", "--network", "locally-connected")]
    [InlineData("give either --model or --network, not neither")]
    [InlineData("--steps is for --network", "--model", "m.hsa", "--steps", "5")]
    [InlineData("--seed is for --network", "--model", "m.hsa", "--seed", "5")]
    [InlineData("--dataset is for --model", "--network", "locally-connected", "--dataset", "mnist-embedded")]
    [InlineData("--network: unknown network 'grid'; valid: locally-connected", "--network", "grid")]
    [InlineData("--network locally-connected: 'depth=2' is not one of on=PROFILE, radius=N, targets=N, units=N", "--network", "locally-connected:depth=2")]
    [InlineData("--network locally-connected: units=0 is not a whole number of at least 1", "--network", "locally-connected:units=0")]
    [InlineData("--network locally-connected: on=loihi is a mesh-2d machine; the network is made for a triangular torus", "--network", "locally-connected:on=loihi")]
    [InlineData("targets per chip must be in 1..16", "--network", "locally-connected:targets=17")]
    [InlineData("--steps must be from 1", "--network", "locally-connected", "--steps", "0")]
    public void Bad_input_exits_non_zero_and_names_the_problem(string message, params string[] options)
    {
        string[] args = ["traffic", "--profiles", "spinnaker", .. options];
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Error);
    }
}
