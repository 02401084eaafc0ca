using System.Numerics;
using System.Collections.Immutable;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>
/// A set of the cores of one chip (0..255, the chip's cores in row-major order): the "processor"
/// bits of a SpiNNaker routing entry. A value (equality by content), cheap to copy and to hash.
/// </summary>
public readonly record struct CoreSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public const int Capacity = 256;

    public static CoreSet Empty { get; } = default;

    public static CoreSet Of(IEnumerable<int> cores)
    {
        var s = Empty;
        foreach (var c in cores) s = s.With(c);
        return s;
    }

    public CoreSet With(int core)
    {
        if ((uint)core >= Capacity) throw new ArgumentOutOfRangeException(nameof(core), core, $"a chip's cores are numbered 0..{Capacity - 1}");
        ulong bit = 1UL << (core & 63);
        return (core >> 6) switch
        {
            0 => this with { W0 = W0 | bit },
            1 => this with { W1 = W1 | bit },
            2 => this with { W2 = W2 | bit },
            _ => this with { W3 = W3 | bit },
        };
    }

    public bool Contains(int core) => (uint)core < Capacity && ((core >> 6) switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 } & (1UL << (core & 63))) != 0;

    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;

    public int Count => BitOperations.PopCount(W0) + BitOperations.PopCount(W1) + BitOperations.PopCount(W2) + BitOperations.PopCount(W3);

    public CoreSet Union(CoreSet o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);

    /// <summary>The cores in increasing order.</summary>
    public ImmutableArray<int> Cores
    {
        get
        {
            var b = ImmutableArray.CreateBuilder<int>(Count);
            ReadOnlySpan<ulong> words = [W0, W1, W2, W3];
            for (int w = 0; w < words.Length; w++)
                for (ulong v = words[w]; v != 0; v &= v - 1) b.Add(w * 64 + BitOperations.TrailingZeroCount(v));
            return b.MoveToImmutable();
        }
    }

    public override string ToString() => $"{{{string.Join(",", Cores)}}}";
}

/// <summary>
/// Where a router sends a packet that matches an entry: out of some of its six links (bit i: link i,
/// numbered as <see cref="TriangularTorus.Offsets"/>) and to some of its own chip's cores. A value.
/// </summary>
public readonly record struct ChipRoute(byte Links, CoreSet Cores)
{
    public const int LinkCount = 6;

    public static ChipRoute Drop { get; } = default;

    public bool HasLink(int link) => (Links & (1 << link)) != 0;

    public ChipRoute WithLink(int link) =>
        (uint)link < LinkCount ? this with { Links = (byte)(Links | (1 << link)) }
        : throw new ArgumentOutOfRangeException(nameof(link), link, $"links are numbered 0..{LinkCount - 1}");

    public ChipRoute WithCore(int core) => this with { Cores = Cores.With(core) };

    public int LinkCountUsed => BitOperations.PopCount((uint)Links);

    /// <summary>The links in increasing order.</summary>
    public ImmutableArray<int> LinkNumbers => [.. Enumerable.Range(0, LinkCount).Where(HasLink)];

    public override string ToString() =>
        $"links [{string.Join(",", LinkNumbers)}] cores {Cores}";
}
