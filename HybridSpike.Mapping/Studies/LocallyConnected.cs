using System.Collections.Immutable;
using HybridSpike.Core.Network;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Routing;

namespace HybridSpike.Mapping.Studies;

/// <summary>
/// A generated "locally connected" network for routing studies, after the benchmark of Mundy,
/// Heathcote and Garside (HPSR 2016): one small population per core of a triangular-torus machine,
/// each feeding some populations on every chip within <see cref="Radius"/> hops of its own. Placed
/// sequentially (population i on core i: chip i ÷ cores per chip, chips row-major), the traffic is local
/// by construction; other placers scatter it. Weights are sparse (one synapse per target unit per
/// connection) and every connection is one step late, so the order of the populations does not matter.
/// A pure function of its parameters.
/// </summary>
/// <param name="Layout">The machine (chips and cores per chip) the network is made for.</param>
/// <param name="Units">Units per population (one population per core).</param>
/// <param name="Radius">Hops on the torus within which a population has targets.</param>
/// <param name="TargetsPerChip">Populations fed on each chip within the radius (the first of the chip's cores in a rotation that depends on the source).</param>
public sealed record LocallyConnected(MeshLayout Layout, int Units, int Radius, int TargetsPerChip)
{
    public int Populations => Layout.Cores;

    public long TotalUnits => (long)Populations * Units;

    public NetworkDescription Network()
    {
        if (Units < 1) throw new ArgumentOutOfRangeException(nameof(Units), Units, "units per population must be positive");
        if (TargetsPerChip < 1 || TargetsPerChip > Layout.CoresPerChip)
            throw new ArgumentOutOfRangeException(nameof(TargetsPerChip), TargetsPerChip, $"targets per chip must be in 1..{Layout.CoresPerChip}");
        var torus = new TriangularTorus(Layout);
        int perChip = Layout.CoresPerChip;
        string Name(int i) => $"p{i}";
        var pops = Enumerable.Range(0, Populations).Select(i =>
            new Population(Name(i), Units, Activation.Tanh, 4.0, [], InitialStateMode.Zeros, 0)).ToImmutableArray();
        var conns = ImmutableArray.CreateBuilder<Connection>();
        var diagonal = Sparse(Units, 1, u => 0, 0.5);
        for (int i = 0; i < Populations; i++) conns.Add(new Connection(NetworkDescription.InputName, Name(i), diagonal, Delay.SameStep));
        var within = Enumerable.Range(0, Layout.Chips).Select(c => new Node(c % Layout.ChipsX, c / Layout.ChipsX)).ToArray();
        var feed = Sparse(Units, Units, u => u, 0.25);
        for (int i = 0; i < Populations; i++)
        {
            var chip = within[i / perChip];
            foreach (var other in within.Where(o => torus.Hops(chip, o) <= Radius))
            {
                int first = (i + 1) % perChip;
                for (int k = 0; k < TargetsPerChip; k++)
                {
                    int target = (other.Y * Layout.ChipsX + other.X) * perChip + (first + k) % perChip;
                    if (target != i) conns.Add(new Connection(Name(i), Name(target), feed, Delay.OneStep));
                }
            }
        }
        return new NetworkDescription(pops, conns.ToImmutable(), new InputMapping(1, "locally connected"), new OutputMapping(Name(0), OutputMapping.LastStep));
    }

    /// <summary>Target unit u takes source unit <paramref name="source"/>(u) with weight <paramref name="w"/>.</summary>
    private static SparseWeights Sparse(int targets, int sources, Func<int, int> source, double w) =>
        new(targets, sources, [.. Enumerable.Range(0, targets)], [.. Enumerable.Range(0, targets).Select(source)], [.. Enumerable.Repeat(w, targets)]);
}
