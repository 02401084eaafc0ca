using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// FsCheck generators and shrinkers of <see cref="ContractCase"/>s: random sizes, layer counts,
/// connectivity (all-zero matrices, populations fed by nothing, recurrence and feedback, same-step and
/// one-step delays, skips from the input), ω (and non-spiking populations), quantizer rules, activations, biases,
/// initial states, core limits and layouts, lowering and exponent blocks, placements and delivery
/// shuffles. The FsCheck size (0..100 over a run) bounds population sizes and steps, so the first
/// cases are tiny. Shrinking removes populations and connections, halves sizes, steps and streams,
/// and turns every knob to its plainest value, so a counterexample reads as a short sentence.
/// </summary>
public static class ContractGen
{
    private static readonly Gen<ulong> Seed = Gen.Choose(0, int.MaxValue).Select(i => (ulong)i);

    private static Gen<ImmutableArray<T>> Sequence<T>(IEnumerable<Gen<T>> gens) =>
        gens.Aggregate(Gen.Constant(ImmutableArray<T>.Empty), (all, g) => from a in all from x in g select a.Add(x));

    private static Gen<double?> Omega(Domain domain, bool output) => domain == Domain.Dyadic
        ? (output ? Gen.Elements<double?>(null, 1, 2, 4) : Gen.Elements<double?>(1, 2, 4, 8))
        : Gen.Frequency((output ? 4 : 1, Gen.Constant<double?>(null)), (4, Gen.Elements<double?>(1, 2, 3.5, 8, 0.75, 16))); // a non-spiking output shows x to the last bit

    private static Gen<PopSpec> Population(Domain domain, bool output, int maxSize) =>
        from size in Gen.Choose(1, output ? Math.Min(4, maxSize) : maxSize)
        from f in domain == Domain.Dyadic
            ? Gen.Elements(Activation.Linear, Activation.Relu)
            : Gen.Elements(Activation.Linear, Activation.Relu, Activation.Tanh, Activation.Sigmoid)
        from omega in Omega(domain, output)
        from bias in Gen.Elements(true, false)
        from uniform in domain == Domain.Dyadic ? Gen.Constant(false) : Gen.Elements(true, false)
        from seed in Seed
        from rule in Rule
        select new PopSpec(size, f, omega, bias, uniform, seed) { Quantizer = rule };

    /// <summary>
    /// Every quantizer rule, sigma-delta (the trained models') half the time. Send-on-delta's thresholds are dyadic,
    /// so that float64 and the Q32 integers compare the same differences.
    /// </summary>
    private static readonly Gen<QuantizerRule> Rule = Gen.Frequency(
        (4, Gen.Constant(QuantizerRule.Default)),
        (1, Gen.Constant<QuantizerRule>(new QuantizerRule.Rounding())),
        (1, Seed.Select(s => (QuantizerRule)new QuantizerRule.Stochastic(s))),
        (1, Seed.Select(s => (QuantizerRule)new QuantizerRule.Dithered(s))),
        (1, Gen.Elements(0.5, 1.0, 2.0).Select(t => (QuantizerRule)new QuantizerRule.SendOnDelta(t))));

    /// <summary>An edge source → target present with <paramref name="percent"/>% probability (null otherwise).</summary>
    private static Gen<ConnSpec?> Edge(int source, int target, int percent, bool oneStepOnly) =>
        from roll in Gen.Choose(0, 99)
        from delay in oneStepOnly ? Gen.Constant(Delay.OneStep) : Gen.Frequency((4, Gen.Constant(Delay.SameStep)), (1, Gen.Constant(Delay.OneStep)))
        from density in Gen.Frequency((1, Gen.Constant(0.0)), (3, Gen.Elements(0.3, 0.7)), (4, Gen.Constant(1.0)))
        from scale in Gen.Elements(0.25, 0.5, 1.0)
        from seed in Seed
        select roll < percent ? new ConnSpec(source, target, delay, density, scale, seed) : null;

    private static Gen<ImmutableArray<ConnSpec>> Connections(ImmutableArray<PopSpec> pops, Domain domain)
    {
        var edges = new List<Gen<ConnSpec?>>();
        for (int t = 0; t < pops.Length; t++)
        {
            edges.Add(Edge(-1, t, t == 0 ? 85 : 25, oneStepOnly: false));
            for (int s = 0; s < pops.Length; s++)
            {
                // Dyadic networks send no non-spiking activity on: its payload round(a·2^16) would round it.
                if (domain == Domain.Dyadic && pops[s].Omega is null) continue;
                if (s < t)
                {
                    edges.Add(Edge(s, t, s == t - 1 ? 85 : 20, oneStepOnly: false));
                    edges.Add(Edge(s, t, 10, oneStepOnly: true)); // sometimes a second connection from the same source, a step late
                }
                else edges.Add(Edge(s, t, s == t ? 35 : 15, oneStepOnly: true));
            }
        }
        return Sequence(edges).Select(e => e.Where(c => c is not null).Select(c => c!).ToImmutableArray());
    }

    private static readonly Gen<ProfileSpec> Profile =
        from units in Gen.Frequency((3, Gen.Choose(1, 4)), (2, Gen.Choose(5, 16)))
        from inAxons in Gen.Choose(1, 48)
        from outAxons in Gen.Choose(1, 48)
        from kbits in Gen.Choose(1, 16)
        from bits in Gen.Frequency((3, Gen.Constant(8)), (2, Gen.Choose(2, 16)))
        from chipsX in Gen.Choose(1, 2)
        from chipsY in Gen.Choose(1, 2)
        from coresX in Gen.Choose(1, 4)
        from coresY in Gen.Choose(1, 4)
        from routing in Gen.Elements(RoutingFamily.MeshXY, RoutingFamily.TorusTables)
        select new ProfileSpec(units, inAxons, outAxons, kbits * 512L, bits, chipsX, chipsY, coresX, coresY, routing);

    /// <summary>Cases of one domain; sizes and steps grow with FsCheck's size.</summary>
    public static Gen<ContractCase> Cases(Domain domain) => Gen.Sized(size =>
    {
        int maxUnits = 1 + Math.Min(size, 100) / 6;    // 1..17
        int maxSteps = 2 + Math.Min(size, 100) / 4;    // 2..27
        return
            from dims in Gen.Choose(1, 3)
            from count in Gen.Choose(1, 5)
            from pops in Sequence(Enumerable.Range(0, count).Select(i => Population(domain, i == count - 1, maxUnits)))
            from conns in Connections(pops, domain)
            from profile in Profile
            from lower in Gen.Elements(true, false)
            from exponents in Gen.Elements(ExponentBlock.Core, ExponentBlock.Row)
            from placement in PlacementChoices.Of(Seed)
            from shuffle in Gen.Zip(Seed, Gen.Choose(0, 8), (s, hold) => new DeliveryShuffle(s, hold))
            from streams in Gen.Choose(1, 3)
            from steps in Gen.Choose(1, maxSteps)
            from inputs in Seed
            select new ContractCase(domain, dims, pops, conns, profile, lower, exponents, placement.Seed, shuffle, streams, steps, inputs) { TrafficPlacement = placement.Traffic };
    });

    public static Arbitrary<ContractCase> Arbitrary(Domain domain) => Arb.From(Cases(domain), Shrink);

    /// <summary>Simpler cases, most drastic first; each stays valid and in its domain.</summary>
    public static IEnumerable<ContractCase> Shrink(ContractCase c) => Candidates(c).Where(Admissible);

    private static IEnumerable<ContractCase> Candidates(ContractCase c)
    {
        if (c.Steps > 1) { yield return c with { Steps = 1 }; yield return c with { Steps = c.Steps / 2 }; yield return c with { Steps = c.Steps - 1 }; }
        if (c.Streams > 1) yield return c with { Streams = 1 };
        for (int p = 0; p < c.Pops.Length - 1; p++) yield return RemovePopulation(c, p);
        for (int k = 0; k < c.Conns.Length; k++) yield return c with { Conns = c.Conns.RemoveAt(k) };
        if (c.Dims > 1) yield return c with { Dims = 1 };
        for (int p = 0; p < c.Pops.Length; p++)
        {
            var pop = c.Pops[p];
            if (pop.Size > 1) { yield return WithPop(c, p, pop with { Size = pop.Size / 2 }); yield return WithPop(c, p, pop with { Size = pop.Size - 1 }); }
            if (pop.Bias) yield return WithPop(c, p, pop with { Bias = false });
            if (pop.UniformStart) yield return WithPop(c, p, pop with { UniformStart = false });
            if (pop.F != Activation.Linear) yield return WithPop(c, p, pop with { F = Activation.Linear });
            if (pop.Omega is not (null or 1)) yield return WithPop(c, p, pop with { Omega = 1 });
            if (pop.Quantizer is not QuantizerRule.SigmaDelta) yield return WithPop(c, p, pop with { Quantizer = QuantizerRule.Default });
        }
        for (int k = 0; k < c.Conns.Length; k++)
        {
            var conn = c.Conns[k];
            if (conn.Density is > 0 and < 1) yield return c with { Conns = c.Conns.SetItem(k, conn with { Density = 1 }) };
            if (conn.Scale != 1) yield return c with { Conns = c.Conns.SetItem(k, conn with { Scale = 1 }) };
        }
        if (c.PlacementSeed is not null) yield return c with { PlacementSeed = null };
        if (c.TrafficPlacement is not null) yield return c with { TrafficPlacement = null };
        if (c.Shuffle.MaxHold > 0) yield return c with { Shuffle = c.Shuffle with { MaxHold = 0 } };
        if (c.Lower) yield return c with { Lower = false };
        if (c.Exponents != ExponentBlock.Core) yield return c with { Exponents = ExponentBlock.Core };
        var pr = c.Profile;
        if (pr.Units < 16) yield return c with { Profile = pr with { Units = 16 } };
        if (pr.WeightBits != 8) yield return c with { Profile = pr with { WeightBits = 8 } };
        if (pr.ChipsX * pr.ChipsY > 1) yield return c with { Profile = pr with { ChipsX = 1, ChipsY = 1 } };
        if (pr.Routing != RoutingFamily.MeshXY) yield return c with { Profile = pr with { Routing = RoutingFamily.MeshXY } };
    }

    private static ContractCase WithPop(ContractCase c, int p, PopSpec pop) => c with { Pops = c.Pops.SetItem(p, pop) };

    /// <summary>Drops population <paramref name="p"/> (never the output) and its connections; later populations move up.</summary>
    private static ContractCase RemovePopulation(ContractCase c, int p) => c with
    {
        Pops = c.Pops.RemoveAt(p),
        Conns = [.. c.Conns.Where(k => k.Source != p && k.Target != p).Select(k => k with
        {
            Source = k.Source > p ? k.Source - 1 : k.Source,
            Target = k.Target > p ? k.Target - 1 : k.Target,
        })],
    };

    /// <summary>Whether a (shrunk) case is still in its domain.</summary>
    public static bool Admissible(ContractCase c) =>
        c.Domain != Domain.Dyadic || c.Conns.All(k => k.Source < 0 || c.Pops[k.Source].Omega is not null);
}
