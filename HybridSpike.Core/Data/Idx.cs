using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO.Compression;

namespace HybridSpike.Core.Data;

/// <summary>An unsigned-byte IDX array (the MNIST file format): dimensions and row-major data.</summary>
public sealed record IdxArray
{
    public IdxArray(ImmutableArray<int> dimensions, ReadOnlyMemory<byte> data)
    {
        if (dimensions.IsDefaultOrEmpty) throw new ArgumentException("an IDX array needs at least one dimension", nameof(dimensions));
        long count = 1;
        foreach (var d in dimensions)
        {
            if (d < 0) throw new ArgumentException($"dimension {d} is negative", nameof(dimensions));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"dimensions [{string.Join(", ", dimensions)}] need {count} bytes, data has {data.Length}", nameof(data));
        Dimensions = dimensions;
        Data = data;
    }

    public ImmutableArray<int> Dimensions { get; }
    public ReadOnlyMemory<byte> Data { get; }
}

/// <summary>
/// Reads and writes IDX files (LeCun's MNIST format), raw or gzip-compressed.
/// Layout: magic <c>00 00 tt nd</c> (type code tt, nd dimensions), nd big-endian int32 sizes,
/// then the data. Only type 0x08 (unsigned byte), the one MNIST uses, is supported.
/// </summary>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file; a name ending in .gz or gzip content is decompressed.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException($"{path}: file not found");
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX array from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Read(Stream stream, string name)
    {
        byte[] bytes;
        try
        {
            bytes = ReadAll(stream);
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                bytes = ReadAll(gz);
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{name}: corrupt gzip data ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException($"{name}: gzip data ends early (truncated file?)", e);
        }
        return Parse(bytes, name);
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static IdxArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 4) throw new DataFormatException($"{name}: {bytes.Length} bytes is too short for an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFormatException($"{name}: wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8} (an IDX file starts with 00 00)");
        if (bytes[2] != UnsignedByte)
            throw new DataFormatException($"{name}: data type 0x{bytes[2]:X2} is not supported (only 0x08, unsigned byte)");
        int rank = bytes[3];
        if (rank == 0) throw new DataFormatException($"{name}: the header declares 0 dimensions");
        int header = 4 + 4 * rank;
        if (bytes.Length < header) throw new DataFormatException($"{name}: truncated header ({bytes.Length} bytes, {header} needed for {rank} dimensions)");
        var dims = ImmutableArray.CreateBuilder<int>(rank);
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (d < 0) throw new DataFormatException($"{name}: dimension {i} is negative ({d})");
            dims.Add(d);
            count *= d;
        }
        long actual = bytes.Length - header;
        if (actual < count)
            throw new DataFormatException($"{name}: truncated: dimensions [{string.Join(", ", dims)}] need {count} data bytes, the file has {actual}");
        if (actual > count)
            throw new DataFormatException($"{name}: {actual - count} bytes beyond the {count} that dimensions [{string.Join(", ", dims)}] declare");
        return new IdxArray(dims.MoveToImmutable(), bytes.AsMemory(header));
    }

    /// <summary>Writes an IDX file atomically (temp file, then rename); gzip-compressed when the name ends in .gz.</summary>
    public static void Write(string path, IdxArray array)
    {
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
                Write(gz, array);
            }
            else
            {
                Write(file, array);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes an uncompressed IDX array to a stream.</summary>
    public static void Write(Stream stream, IdxArray array)
    {
        Span<byte> header = stackalloc byte[4 + 4 * array.Dimensions.Length];
        header[2] = UnsignedByte;
        header[3] = checked((byte)array.Dimensions.Length);
        for (int i = 0; i < array.Dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], array.Dimensions[i]);
        stream.Write(header);
        stream.Write(array.Data.Span);
    }
}
