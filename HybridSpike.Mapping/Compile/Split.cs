using System.Collections.Immutable;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;

namespace HybridSpike.Mapping.Compile;

/// <summary>Which per-core limit closed a piece (or, for the last piece, none).</summary>
public enum SplitLimit { None, Units, InputAxons, OutputAxons, SynapseMemory }

/// <summary>A contiguous range of one population's units that goes on one core.</summary>
/// <param name="InputAxons">Distinct source units (and input dimensions) feeding the piece.</param>
/// <param name="OutputAxons">Destination axons its units need: per unit, one per target piece it reaches.</param>
/// <param name="SynapseBits">Incoming synapses of the piece × the profile's weight bits.</param>
/// <param name="ClosedBy">The limit that stopped the piece from growing (None for a population's last piece).</param>
public sealed record Piece(string Population, int Start, int Count, int InputAxons, int OutputAxons, long SynapseBits, SplitLimit ClosedBy);

/// <summary>A network cut into core-sized pieces, population by population, in evaluation order.</summary>
public sealed record SplitNetwork(NetworkDescription Network, HardwareProfile Profile, ImmutableArray<Piece> Pieces)
{
    public IEnumerable<Piece> Of(string population) => Pieces.Where(p => p.Population == population);
}

/// <summary>A network that cannot be mapped onto the profile; the message names the thing, the quantity, the value and the limit.</summary>
public sealed class CompileException(string message) : Exception(message);

/// <summary>
/// The split stage: each population is cut, in unit order, into the fewest contiguous pieces whose
/// units, input axons (distinct sources), output axons (one per unit per target piece reached) and
/// synapse memory (incoming synapses × weight bits) fit one core of the profile. Output axons depend
/// on how the targets were cut, so the stage repeats until no piece changes (should recutting cycle,
/// it goes on refining the cut it has). A single unit over a limit cannot be split and is an error.
/// </summary>
public static class Split
{
    public static SplitNetwork Run(NetworkDescription network, HardwareProfile profile)
    {
        network.Validate();
        var limits = profile.Core;
        // Connections by target and by source once: a scan of all connections per population is quadratic
        // (2,304 populations x 172,800 connections took half a minute; docs/benchmarks/routing.md).
        var into = network.Connections.ToLookup(c => c.Target);
        var outOf = network.Connections.ToLookup(c => c.Source);
        var offsets = AxonOffsets(network);
        var fanIn = network.Populations.ToDictionary(p => p.Name, p => IncomingSources(into[p.Name], offsets, p));
        var synapses = network.Populations.ToDictionary(p => p.Name, p => IncomingSynapses(into[p.Name], p));
        var targets = network.Populations.ToDictionary(p => p.Name, p => OutgoingTargets(outOf[p.Name], p));
        // Start with one piece per population; refine until the output-axon estimates are stable.
        var pieces = network.Populations.ToDictionary(p => p.Name, p => ImmutableArray.Create(new Piece(p.Name, 0, p.Size, 0, 0, 0, SplitLimit.None)));
        // Recutting from scratch can cycle when a population's output axons depend on its own cut (a
        // recurrence): finer pieces raise the counts, the new cut moves, the counts fall again. After
        // PlainRounds rounds the stage only refines, keeping every cut it has and adding those the counts
        // need. Output axons only grow as targets are cut finer, so the pieces only multiply and the stage
        // settles within one round per unit. Either way, the settled pieces fit the counts of their own cut.
        int maxRounds = PlainRounds + network.Populations.Sum(p => p.Size) + 1;
        for (int round = 0; round < maxRounds; round++)
        {
            bool changed = false, refine = round >= PlainRounds;
            foreach (var p in network.Populations)
            {
                var cut = Cut(p, fanIn[p.Name], synapses[p.Name], OutputAxonsPerUnit(p, targets[p.Name], pieces), limits, profile.Name,
                    refine ? pieces[p.Name] : null);
                if (cut.Length != pieces[p.Name].Length || !cut.SequenceEqual(pieces[p.Name])) changed = true;
                pieces[p.Name] = cut;
            }
            if (!changed) return new SplitNetwork(network, profile, [.. network.Populations.SelectMany(p => pieces[p.Name])]);
        }
        throw new CompileException($"split: piece counts did not settle on profile '{profile.Name}'");
    }

    /// <summary>Rounds that recut every population from scratch before the stage only refines.</summary>
    private const int PlainRounds = 32;

    /// <param name="keep">When refining: the current pieces, whose cuts the new ones keep (each keeps its reason).</param>
    private static ImmutableArray<Piece> Cut(Population p, HashSet<int>[] sources, long[] synapses, int[] outAxons, CoreLimits limits, string profile,
        ImmutableArray<Piece>? keep = null)
    {
        Dictionary<int, SplitLimit>? kept = null;
        if (keep is { } k)
        {
            kept = [];
            for (int i = 1; i < k.Length; i++) kept[k[i].Start] = k[i - 1].ClosedBy;
        }
        var result = ImmutableArray.CreateBuilder<Piece>();
        int start = 0;
        var union = new HashSet<int>();
        long bits = 0;
        int outs = 0;
        for (int u = 0; u < p.Size; u++)
        {
            long unitBits = synapses[u] * limits.WeightBits;
            Check(p, u, "input axons", sources[u].Count, limits.InputAxons, profile);
            Check(p, u, "output axons", outAxons[u], limits.OutputAxons, profile);
            Check(p, u, "synapse memory bits", unitBits, limits.SynapseMemoryBits, profile);
            int count = u - start;
            var newSources = sources[u].Count(s => !union.Contains(s));
            SplitLimit closedBy =
                count + 1 > limits.Units ? SplitLimit.Units :
                union.Count + newSources > limits.InputAxons ? SplitLimit.InputAxons :
                outs + outAxons[u] > limits.OutputAxons ? SplitLimit.OutputAxons :
                bits + unitBits > limits.SynapseMemoryBits ? SplitLimit.SynapseMemory :
                kept is not null && u > start && kept.TryGetValue(u, out var reason) ? reason : SplitLimit.None;
            if (closedBy != SplitLimit.None)
            {
                result.Add(new Piece(p.Name, start, count, union.Count, outs, bits, closedBy));
                start = u; union.Clear(); bits = 0; outs = 0;
            }
            union.UnionWith(sources[u]);
            bits += unitBits;
            outs += outAxons[u];
        }
        result.Add(new Piece(p.Name, start, p.Size - start, union.Count, outs, bits, SplitLimit.None));
        return result.ToImmutable();
    }

    private static void Check(Population p, int unit, string quantity, long value, long limit, string profile)
    {
        if (value > limit)
            throw new CompileException($"population '{p.Name}', unit {unit}: {quantity} ({value}) exceeded the per-core max ({limit}) of profile '{profile}'");
    }

    /// <summary>Where each population's units (and, after all of them, the input's dimensions) start in one numbering of all axons.</summary>
    private static Dictionary<string, int> AxonOffsets(NetworkDescription net)
    {
        var offsets = new Dictionary<string, int>();
        int next = 0;
        foreach (var p in net.Populations) { offsets[p.Name] = next; next += p.Size; }
        offsets[NetworkDescription.InputName] = next;
        return offsets;
    }

    /// <summary>Per target unit: the distinct source axons (input dimensions numbered after all units) with a nonzero weight into it.</summary>
    private static HashSet<int>[] IncomingSources(IEnumerable<Connection> incoming, Dictionary<string, int> offsets, Population target)
    {
        var sets = Enumerable.Range(0, target.Size).Select(_ => new HashSet<int>()).ToArray();
        foreach (var c in incoming)
            foreach (var (t, s) in NonZero(c.Weights)) sets[t].Add(offsets[c.Source] + s);
        return sets;
    }

    private static long[] IncomingSynapses(IEnumerable<Connection> incoming, Population target)
    {
        var n = new long[target.Size];
        foreach (var c in incoming)
            foreach (var (t, _) in NonZero(c.Weights)) n[t]++;
        return n;
    }

    /// <summary>Per source unit: the (target population, target unit) pairs it reaches.</summary>
    private static List<(string Target, int Unit)>[] OutgoingTargets(IEnumerable<Connection> outgoing, Population source)
    {
        var lists = Enumerable.Range(0, source.Size).Select(_ => new List<(string, int)>()).ToArray();
        foreach (var c in outgoing)
            foreach (var (t, s) in NonZero(c.Weights)) lists[s].Add((c.Target, t));
        return lists;
    }

    private static int[] OutputAxonsPerUnit(Population p, List<(string Target, int Unit)>[] targets, Dictionary<string, ImmutableArray<Piece>> pieces)
    {
        var axons = new int[p.Size];
        for (int u = 0; u < p.Size; u++)
            axons[u] = targets[u].Select(t => (t.Target, PieceIndex(pieces[t.Target], t.Unit))).Distinct().Count();
        return axons;
    }

    private static int PieceIndex(ImmutableArray<Piece> pieces, int unit)
    {
        for (int i = 0; i < pieces.Length; i++)
            if (unit < pieces[i].Start + pieces[i].Count) return i;
        return pieces.Length - 1;
    }

    /// <summary>The (target unit, source unit) pairs with a nonzero weight.</summary>
    internal static IEnumerable<(int Target, int Source)> NonZero(Weights w)
    {
        switch (w)
        {
            case DenseWeights d:
                for (int t = 0; t < d.Targets; t++)
                {
                    var row = d.Matrix.Row(t).ToArray();
                    for (int s = 0; s < row.Length; s++) if (row[s] != 0) yield return (t, s);
                }
                break;
            case SparseWeights sp:
                for (int k = 0; k < sp.Values.Length; k++) if (sp.Values[k] != 0) yield return (sp.TargetIndex[k], sp.SourceIndex[k]);
                break;
        }
    }
}
