using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Mapping.Tests.Compile;

/// <summary>Networks and traffic graphs the placement tests share.</summary>
internal static class PlacementCases
{
    public static readonly HardwareProfile Test = HybridSpike.Mapping.Profiles.Profiles.Get("test"); // 2x2 chips of 2x2 cores, 16 units a core

    /// <summary>
    /// Eight one-core populations p0..p7 in two groups that talk only within themselves: the even
    /// ones all-to-all, the odd ones all-to-all. Sequential order interleaves the groups, so it puts
    /// p0..p3 on chip 0 and p4..p7 on chip 1 and cuts both groups; by traffic each group fits a chip.
    /// </summary>
    public static SplitNetwork Interleaved()
    {
        const int n = 8, units = 16;
        string Name(int i) => $"p{i}";
        var pops = Enumerable.Range(0, n).Select(i => new Population(Name(i), units, Activation.Relu, 1.0, [], InitialStateMode.Zeros, 0));
        var conns = new List<Connection>();
        for (int i = 0; i < n; i++) conns.Add(new("input", Name(i), new DenseWeights(Matrix.Create(units, 1, (_, _) => 1)), Delay.SameStep));
        for (int i = 0; i < n; i++)
            for (int j = i + 2; j < n; j += 2)
                conns.Add(new(Name(i), Name(j), new DenseWeights(Matrix.Create(units, units, (_, _) => 0.5)), Delay.SameStep));
        var net = new NetworkDescription([.. pops], [.. conns], new InputMapping(1, "t"), new OutputMapping(Name(n - 1), OutputMapping.LastStep));
        return Split.Run(net, Test);
    }

    /// <summary>A random weighted traffic graph on <paramref name="pieces"/> pieces (about a quarter of the ordered pairs joined), from a seed.</summary>
    public static TrafficEstimate RandomTraffic(int pieces, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var pairs = new List<PieceTraffic>();
        for (int s = 0; s < pieces; s++)
            for (int t = 0; t < pieces; t++)
                if (s != t && rng.NextInt(4) == 0)
                {
                    int axons = 1 + rng.NextInt(16);
                    pairs.Add(new PieceTraffic(s, t, axons, axons * (0.25 + rng.NextDouble())));
                }
        return new TrafficEstimate([.. pairs]);
    }

    /// <summary>The part (group number) of each piece.</summary>
    public static int[] PartOf(int pieces, IReadOnlyList<IReadOnlyList<int>> groups)
    {
        var part = Enumerable.Repeat(-1, pieces).ToArray();
        for (int g = 0; g < groups.Count; g++) foreach (var p in groups[g]) part[p] = g;
        return part;
    }

    /// <summary>Expected packets per step between chips under a placer, from the context's traffic.</summary>
    public static double InterChip(IPlacementStrategy placer, SplitNetwork split)
    {
        var context = PlacementContext.For(split);
        return TrafficGraph.InterChip(placer.Place(context), context.Traffic);
    }
}
