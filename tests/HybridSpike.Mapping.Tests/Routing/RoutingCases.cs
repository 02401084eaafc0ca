using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Tests.Routing;

/// <summary>
/// A small random network placed at random on a test mesh: 1-4 populations of 1-40 units (the test
/// profile's 16 units a core, the only limit that bites here, cut them into 1-3 pieces), each pair joined with some probability (a
/// same-step connection forwards, one-step backwards and onto itself), weights with zero rows and
/// columns, on a 3×2 grid of 3×3-core chips (non-square, so x and y differ) at a seeded random placement.
/// </summary>
public sealed record RoutingCase(ImmutableArray<int> Sizes, ImmutableArray<(int Source, int Target, int Seed)> Edges, ulong PlacementSeed)
{
    public static HardwareProfile Profile(bool multicast)
    {
        var test = HybridSpike.Mapping.Profiles.Profiles.Get("test");
        return test with
        {
            Name = multicast ? "test-multicast" : "test-unicast",
            Layout = new MeshLayout(3, 2, 3, 3),
            Core = test.Core with { InputAxons = 256, OutputAxons = 256, SynapseMemoryBits = 1 << 16 }, // only units split
            Routing = test.Routing with { Multicast = multicast },
        };
    }

    /// <summary>The spinnaker profile on a 4×3-chip torus (wide, so x and y differ) of 2×2 cores with the test profile's 16 units a core, tables of <paramref name="entries"/> entries and the given compressor.</summary>
    public static HardwareProfile TorusProfile(int entries = 1023, string compressor = "none") =>
        Tables.TableCases.Torus(4, 3, entries, compressor) with { Name = "test-torus" };

    /// <summary>The table router of the case on <see cref="TorusProfile"/>.</summary>
    public HybridSpike.Mapping.Routing.Tables.TableRouter TableRouter(string compressor = "none")
    {
        var profile = TorusProfile(compressor: compressor);
        return (HybridSpike.Mapping.Routing.Tables.TableRouter)Routers.For(profile, Topologies.For(profile), Placed(profile));
    }

    public NetworkDescription Network()
    {
        string Name(int i) => $"p{i}";
        var pops = Sizes.Select((n, i) => new Population(Name(i), n, Activation.Relu, 1.0, [], InitialStateMode.Zeros, 0));
        var conns = new List<Connection> { new("input", Name(0), new DenseWeights(Matrix.Create(Sizes[0], 1, (_, _) => 1)), Delay.SameStep) };
        foreach (var (s, t, seed) in Edges)
        {
            // A deterministic pattern with whole zero rows and columns, so some pieces send nothing to some pieces.
            var w = Matrix.Create(Sizes[t], Sizes[s], (r, c) => ((r * 7 + c * 13 + seed) % 5 == 0 || (c + seed) % 3 == 0) && (r + seed) % 4 != 0 ? 0.5 : 0);
            conns.Add(new Connection(Name(s), Name(t), new DenseWeights(w), s < t ? Delay.SameStep : Delay.OneStep));
        }
        return new NetworkDescription([.. pops], [.. conns], new InputMapping(1, "t"), new OutputMapping(Name(Sizes.Length - 1), OutputMapping.LastStep));
    }

    public PlacedNetwork Placed(HardwareProfile profile) => new RandomPlacement(PlacementSeed).Place(PlacementContext.For(Split.Run(Network(), profile)));

    public IRouter Router(bool multicast)
    {
        var profile = Profile(multicast);
        return Routers.For(profile, Topologies.For(profile), Placed(profile));
    }

    public override string ToString() =>
        $"sizes [{string.Join(", ", Sizes)}], edges [{string.Join(", ", Edges.Select(e => $"p{e.Source}->p{e.Target}#{e.Seed}"))}], placement seed {PlacementSeed}";

    public static Arbitrary<RoutingCase> Arbitrary() =>
        (from n in Gen.Choose(1, 4)
         from sizes in Gen.ArrayOf(Gen.Choose(1, 40), n)
         from rolls in Gen.ArrayOf(Gen.Choose(0, 99), n * n)
         from seeds in Gen.ArrayOf(Gen.Choose(0, 1000), n * n)
         from placement in Gen.Choose(0, int.MaxValue)
         select new RoutingCase([.. sizes],
             [.. Enumerable.Range(0, n * n).Where(k => rolls[k] < 45).Select(k => (k / n, k % n, seeds[k]))],
             (ulong)placement)).ToArbitrary();
}
