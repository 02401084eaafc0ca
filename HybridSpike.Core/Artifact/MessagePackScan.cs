using System.Buffers.Binary;
using System.Text;

namespace HybridSpike.Core.Artifact;

/// <summary>One entry of the top-level map: its key (null when not a string), where the entry starts and where its value starts and ends.</summary>
internal readonly record struct TopLevelEntry(string? Key, int Start, int ValueStart, int ValueEnd);

/// <summary>
/// A walk over the raw MessagePack of a file before anything is deserialized: every length and element
/// count is checked against the bytes that are left, so that a damaged or hostile header (a bin32 of 4 GiB,
/// an array of 2^32 elements) is refused naming where it is, and nothing is allocated from a declared size.
/// </summary>
internal static class MessagePackScan
{
    /// <summary>Nesting the artifact never needs more than (the schema is 6 deep).</summary>
    public const int MaxDepth = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The entries of the top-level map, or a <see cref="FormatException"/> saying where the bytes are wrong.</summary>
    /// <remarks><paramref name="entries"/> receives the entries read before a failure too, so that the caller can tell a damaged artifact from another kind of file.</remarks>
    public static void TopLevel(ReadOnlySpan<byte> bytes, List<TopLevelEntry> entries)
    {
        int at = 0;
        if (bytes.IsEmpty || !IsMap(bytes[0])) throw new NotAMapException();
        long count = Header(bytes, ref at, "the top-level map");
        for (long i = 0; i < count; i++)
        {
            int start = at;
            string? key = TryString(bytes, at);
            Skip(bytes, ref at, 1, "a key of the top-level map");
            int valueStart = at;
            Skip(bytes, ref at, 1, key ?? "a value of the top-level map");
            entries.Add(new TopLevelEntry(key, start, valueStart, at));
        }
        if (at != bytes.Length) throw new TrailingBytesException(bytes.Length - at);
    }

    /// <summary>The string at <paramref name="at"/>, or null when the value there is not a (valid UTF-8) string.</summary>
    public static string? TryString(ReadOnlySpan<byte> bytes, int at)
    {
        if (at >= bytes.Length) return null;
        byte b = bytes[at];
        int pos = at + 1;
        long len;
        if (b is >= 0xa0 and <= 0xbf) len = b & 0x1f;
        else if (b is 0xd9 or 0xda or 0xdb) len = Length(bytes, ref pos, b == 0xd9 ? 1 : b == 0xda ? 2 : 4, "a string");
        else return null;
        if (len > bytes.Length - pos) return null;
        try { return StrictUtf8.GetString(bytes.Slice(pos, (int)len)); }
        catch (DecoderFallbackException) { return null; }
    }

    private static bool IsMap(byte b) => b is >= 0x80 and <= 0x8f or 0xde or 0xdf;

    /// <summary>The element count of the map or array at <paramref name="at"/> (pairs for a map), checked against the bytes left.</summary>
    private static long Header(ReadOnlySpan<byte> bytes, ref int at, string where)
    {
        byte b = bytes[at++];
        long n = b switch
        {
            >= 0x80 and <= 0x8f => b & 0x0f,
            >= 0x90 and <= 0x9f => b & 0x0f,
            0xdc or 0xde => Length(bytes, ref at, 2, where),
            0xdd or 0xdf => Length(bytes, ref at, 4, where),
            _ => throw new FormatException($"{where} is not a map or an array"),
        };
        bool map = IsMap(b);
        // Every element takes at least one byte: a count beyond the bytes left is damage, not a big file.
        long least = map ? 2 * n : n;
        if (least > bytes.Length - at)
            throw new FormatException($"{where} declares {n} {(map ? "entries" : "elements")}, but only {bytes.Length - at} bytes are left");
        return n;
    }

    private static long Length(ReadOnlySpan<byte> bytes, ref int at, int size, string where)
    {
        if (size > bytes.Length - at) throw new FormatException($"{where}: the file ends inside a length");
        var s = bytes.Slice(at, size);
        at += size;
        return size switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(s),
            _ => BinaryPrimitives.ReadUInt32BigEndian(s),
        };
    }

    private static void Take(ReadOnlySpan<byte> bytes, ref int at, long length, string what, string where)
    {
        if (length > bytes.Length - at)
            throw new FormatException($"{where}: {what} of {length} bytes, but only {bytes.Length - at} bytes are left");
        at += (int)length;
    }

    /// <summary>Steps over one value, checking every length inside it; <paramref name="where"/> names it (the key it is under).</summary>
    private static void Skip(ReadOnlySpan<byte> bytes, ref int at, int depth, string where)
    {
        if (depth > MaxDepth) throw new FormatException($"{where}: nested more than {MaxDepth} deep");
        if (at >= bytes.Length) throw new FormatException($"{where}: the file ends where a value should be");
        byte b = bytes[at];
        switch (b)
        {
            case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3: at++; return;
            case 0xc1: throw new FormatException($"{where}: byte 0xc1 at offset {at} is not MessagePack");
            case >= 0xa0 and <= 0xbf: at++; Take(bytes, ref at, b & 0x1f, "a string", where); return;
            case 0xd9 or 0xda or 0xdb:
                at++; Take(bytes, ref at, Length(bytes, ref at, b == 0xd9 ? 1 : b == 0xda ? 2 : 4, where), "a string", where); return;
            case 0xc4 or 0xc5 or 0xc6:
                at++; Take(bytes, ref at, Length(bytes, ref at, b == 0xc4 ? 1 : b == 0xc5 ? 2 : 4, where), "a bin", where); return;
            case 0xc7 or 0xc8 or 0xc9:
                at++; Take(bytes, ref at, Length(bytes, ref at, b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4, where) + 1, "an ext", where); return;
            case 0xca: at++; Take(bytes, ref at, 4, "a float32", where); return;
            case 0xcb: at++; Take(bytes, ref at, 8, "a float64", where); return;
            case 0xcc or 0xd0: at++; Take(bytes, ref at, 1, "an integer", where); return;
            case 0xcd or 0xd1: at++; Take(bytes, ref at, 2, "an integer", where); return;
            case 0xce or 0xd2: at++; Take(bytes, ref at, 4, "an integer", where); return;
            case 0xcf or 0xd3: at++; Take(bytes, ref at, 8, "an integer", where); return;
            case 0xd4: at++; Take(bytes, ref at, 2, "an ext", where); return;
            case 0xd5: at++; Take(bytes, ref at, 3, "an ext", where); return;
            case 0xd6: at++; Take(bytes, ref at, 5, "an ext", where); return;
            case 0xd7: at++; Take(bytes, ref at, 9, "an ext", where); return;
            case 0xd8: at++; Take(bytes, ref at, 17, "an ext", where); return;
        }
        bool map = IsMap(b);
        long n = Header(bytes, ref at, where);
        for (long i = 0; i < n; i++)
        {
            if (map)
            {
                string? key = TryString(bytes, at);
                Skip(bytes, ref at, depth + 1, $"a key in {where}");
                Skip(bytes, ref at, depth + 1, key is null ? $"a value in {where}" : $"{where}.{key}");
            }
            else
            {
                Skip(bytes, ref at, depth + 1, $"{where}[{i}]");
            }
        }
    }

    /// <summary>The bytes do not start with a MessagePack map.</summary>
    public sealed class NotAMapException() : FormatException("it does not start with a MessagePack map");

    /// <summary>The top-level map ends before the file does.</summary>
    public sealed class TrailingBytesException(long count) : FormatException($"{count} bytes follow the artifact's map")
    {
        public long Count { get; } = count;
    }
}
