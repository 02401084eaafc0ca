using System.Numerics;

namespace HybridSpike.Mapping.Routing.Tables;

/// <summary>
/// A ternary match on 32-bit routing keys, as a SpiNNaker router's TCAM holds it: a key k matches
/// when <c>(k &amp; Mask) == Key</c>. A mask bit 0 is a "don't care" (X); <see cref="Key"/> has no bit
/// set outside <see cref="Mask"/> (a key bit set where the mask is 0 could never match, so the
/// constructor refuses it rather than build an entry that silently matches nothing).
/// </summary>
public readonly record struct KeyMask
{
    public KeyMask(uint key, uint mask)
    {
        if ((key & ~mask) != 0)
            throw new ArgumentException($"key 0x{key:X8} has bits outside its mask 0x{mask:X8}, so it would match no key");
        Key = key;
        Mask = mask;
    }

    public uint Key { get; }

    public uint Mask { get; }

    /// <summary>Whether the key <paramref name="key"/> matches.</summary>
    public bool Matches(uint key) => (key & Mask) == Key;

    /// <summary>Whether some key matches both (their fixed bits agree wherever both are fixed).</summary>
    public bool Intersects(KeyMask other) => ((Key ^ other.Key) & Mask & other.Mask) == 0;

    /// <summary>Whether every key that matches <paramref name="other"/> matches this.</summary>
    public bool Covers(KeyMask other) => (Mask & ~other.Mask) == 0 && (other.Key & Mask) == Key;

    /// <summary>The keys both match, or null when none does.</summary>
    public KeyMask? Intersection(KeyMask other) =>
        Intersects(other) ? new KeyMask(Key | other.Key, Mask | other.Mask) : null;

    /// <summary>
    /// The smallest match that covers both: bits fixed in both and equal stay fixed, every other bit
    /// becomes X. (The merge of the pair and ordered-covering compressors.)
    /// </summary>
    public KeyMask Merge(KeyMask other)
    {
        uint mask = Mask & other.Mask & ~(Key ^ other.Key);
        return new KeyMask(Key & mask, mask);
    }

    /// <summary>The number of X bits: log2 of the keys that match; the higher, the more general.</summary>
    public int Generality => 32 - BitOperations.PopCount(Mask);

    /// <summary>The one key that matches when every bit is fixed.</summary>
    public static KeyMask Exact(uint key) => new(key, uint.MaxValue);

    /// <summary>Every key.</summary>
    public static KeyMask All { get; } = new(0, 0);

    /// <summary>As PACMAN and rig print them: one character per bit, most significant first (0, 1 or X).</summary>
    public override string ToString()
    {
        Span<char> s = stackalloc char[32];
        for (int b = 0; b < 32; b++)
        {
            uint bit = 1u << (31 - b);
            s[b] = (Mask & bit) == 0 ? 'X' : (Key & bit) != 0 ? '1' : '0';
        }
        return new string(s);
    }
}
