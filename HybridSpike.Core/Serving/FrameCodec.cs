using System.Buffers;
using MessagePack;

namespace HybridSpike.Core.Serving;

/// <summary>The encodings of a stream's frames: JSON text messages, or MessagePack binary ones (for speed).</summary>
public enum FrameEncoding
{
    Json,
    MessagePack,
}

/// <summary>
/// The MessagePack form of the stream frames (docs/serve.md): each frame a map with the JSON form's keys
/// (<c>type</c>, <c>values</c>; <c>type</c>, <c>step</c>, <c>outputs</c>, <c>prediction</c>, <c>message</c>), values as
/// float64. Written and read by hand: one frame is small, the reader checks every length against what is there, and
/// a malformed frame is an <see cref="InvalidDataException"/> naming what is wrong.
/// </summary>
public static class FrameCodec
{
    /// <summary>The most values a frame may declare (a 4 MiB frame holds at most 2^19 float64 values).</summary>
    public const int MaxValues = 1 << 19;

    public static byte[] Write(ClientFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + 9 * (frame.Values?.Length ?? 0));
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(frame.Values is null ? 1 : 2);
        w.Write("type");
        w.Write(frame.Type);
        if (frame.Values is { } values)
        {
            w.Write("values");
            WriteDoubles(ref w, values);
        }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Write(ServerFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + 9 * (frame.Outputs?.Length ?? 0));
        var w = new MessagePackWriter(buffer);
        int fields = 1 + (frame.Step is null ? 0 : 1) + (frame.Outputs is null ? 0 : 1) + (frame.Prediction is null ? 0 : 1) + (frame.Message is null ? 0 : 1);
        w.WriteMapHeader(fields);
        w.Write("type"); w.Write(frame.Type);
        if (frame.Step is { } step) { w.Write("step"); w.Write(step); }
        if (frame.Outputs is { } outputs) { w.Write("outputs"); WriteDoubles(ref w, outputs); }
        if (frame.Prediction is { } p) { w.Write("prediction"); w.Write(p); }
        if (frame.Message is { } m) { w.Write("message"); w.Write(m); }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteDoubles(ref MessagePackWriter w, double[] values)
    {
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    /// <summary>A client frame; <see cref="InvalidDataException"/> naming what is wrong with a malformed one.</summary>
    public static ClientFrame ReadClient(ReadOnlyMemory<byte> bytes)
    {
        string? type = null;
        double[]? values = null;
        Read(bytes, (ref MessagePackReader r, string key) =>
        {
            switch (key)
            {
                case "type": type = r.ReadString(); break;
                case "values": values = ReadDoubles(ref r, key); break;
                default: r.Skip(); break;
            }
        });
        return new ClientFrame(type ?? throw new InvalidDataException("MessagePack frame: no 'type'"), values);
    }

    /// <summary>A service frame; <see cref="InvalidDataException"/> naming what is wrong with a malformed one.</summary>
    public static ServerFrame ReadServer(ReadOnlyMemory<byte> bytes)
    {
        string? type = null, message = null;
        long? step = null;
        int? prediction = null;
        double[]? outputs = null;
        Read(bytes, (ref MessagePackReader r, string key) =>
        {
            switch (key)
            {
                case "type": type = r.ReadString(); break;
                case "step": step = r.ReadInt64(); break;
                case "outputs": outputs = ReadDoubles(ref r, key); break;
                case "prediction": prediction = r.ReadInt32(); break;
                case "message": message = r.ReadString(); break;
                default: r.Skip(); break;
            }
        });
        return new ServerFrame(type ?? throw new InvalidDataException("MessagePack frame: no 'type'"), step, outputs, prediction, message);
    }

    private delegate void Field(ref MessagePackReader reader, string key);

    private static void Read(ReadOnlyMemory<byte> bytes, Field field)
    {
        try
        {
            var r = new MessagePackReader(bytes);
            if (r.NextMessagePackType != MessagePackType.Map) throw new InvalidDataException($"MessagePack frame: a {r.NextMessagePackType}, not a map");
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                if (r.NextMessagePackType != MessagePackType.String) throw new InvalidDataException($"MessagePack frame: key {i} is a {r.NextMessagePackType}, not a string");
                field(ref r, r.ReadString()!);
            }
            if (!r.End) throw new InvalidDataException($"MessagePack frame: {bytes.Length - r.Consumed} bytes after the map");
        }
        catch (MessagePackSerializationException e) { throw new InvalidDataException($"MessagePack frame: {e.Message}", e); }
        catch (EndOfStreamException e) { throw new InvalidDataException("MessagePack frame: cut off (a length runs past the frame's end)", e); }
    }

    private static double[] ReadDoubles(ref MessagePackReader r, string key)
    {
        if (r.NextMessagePackType != MessagePackType.Array) throw new InvalidDataException($"MessagePack frame: '{key}' is a {r.NextMessagePackType}, not an array");
        int n = r.ReadArrayHeader();
        if (n > MaxValues) throw new InvalidDataException($"MessagePack frame: '{key}' declares {n:N0} values, more than {MaxValues:N0}");
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (r.NextMessagePackType is not (MessagePackType.Float or MessagePackType.Integer))
                throw new InvalidDataException($"MessagePack frame: '{key}'[{i}] is a {r.NextMessagePackType}, not a number");
            values[i] = r.ReadDouble();
        }
        return values;
    }
}
