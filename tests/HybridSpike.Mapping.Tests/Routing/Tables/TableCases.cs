using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Routing.Tables;

/// <summary>Puts piece i on the core with sequential number <c>cores[i]</c>: placements chosen by a test.</summary>
public sealed class FixedPlacement(params int[] cores) : IPlacementStrategy
{
    public string Name => "fixed";

    public PlacedNetwork Place(PlacementContext context) =>
        new(context.Split, [.. context.Split.Pieces.Select((p, i) => new Placement(p, SequentialPlacement.Address(context.Split.Profile.Layout, cores[i])))]);
}

/// <summary>Small hand-made networks on a torus profile, for the table stages.</summary>
public static class TableCases
{
    /// <summary>The spinnaker profile on a <paramref name="chipsX"/>×<paramref name="chipsY"/> torus of 2×2 cores, 16 units a core.</summary>
    public static HardwareProfile Torus(int chipsX, int chipsY, int entries = 1023, string compressor = "none")
    {
        var spinnaker = HybridSpike.Mapping.Profiles.Profiles.Get("spinnaker");
        return spinnaker with
        {
            Name = "table-test",
            Layout = new MeshLayout(chipsX, chipsY, 2, 2),
            Core = spinnaker.Core with { Units = 16 },
            Routing = spinnaker.Routing with { TableEntries = entries, Compressor = compressor },
        };
    }

    /// <summary>Populations of the given sizes, the input into the first, and every population i feeding every j &gt; i (dense, same step).</summary>
    public static NetworkDescription Chain(params int[] sizes)
    {
        string Name(int i) => $"p{i}";
        var pops = sizes.Select((n, i) => new Population(Name(i), n, Activation.Relu, 1.0, [], InitialStateMode.Zeros, 0));
        var conns = new List<Connection> { new("input", Name(0), new DenseWeights(Matrix.Create(sizes[0], 1, (_, _) => 1)), Delay.SameStep) };
        for (int s = 0; s < sizes.Length; s++)
            for (int t = s + 1; t < sizes.Length; t++)
                conns.Add(new Connection(Name(s), Name(t), new DenseWeights(Matrix.Create(sizes[t], sizes[s], (_, _) => 0.25)), Delay.SameStep));
        return new NetworkDescription([.. pops], [.. conns], new InputMapping(1, "t"), new OutputMapping(Name(sizes.Length - 1), OutputMapping.LastStep));
    }

    public static PlacedNetwork Placed(NetworkDescription net, HardwareProfile profile, params int[] cores) =>
        new FixedPlacement(cores).Place(PlacementContext.For(Split.Run(net, profile)));

    /// <summary>The core with sequential number <c>chip * 4 + onChip</c> sits on chip (chip % chipsX, chip / chipsX).</summary>
    public static int CoreOn(HardwareProfile profile, int chipX, int chipY, int onChip = 0) =>
        (chipY * profile.Layout.ChipsX + chipX) * profile.Layout.CoresPerChip + onChip;
}
