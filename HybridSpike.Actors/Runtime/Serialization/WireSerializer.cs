using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using HybridSpike.Core.Dynamics;
using MessagePack;

namespace HybridSpike.Actors.Runtime.Serialization;

/// <summary>
/// What every HybridSpike wire serializer shares: one MessagePack array per message, fields in declaration order,
/// named by a short string manifest; integers in MessagePack's shortest form (a zero payload is one byte), doubles
/// as float64 (bit exact), an actor ref as its full path (<see cref="Akka.Serialization.Serialization.SerializedActorPath"/>)
/// resolved on arrival by the receiving system's provider; never a type name from the wire. Each feature folder
/// has its own subclass for its own messages (the step protocol here, core hosting in Deployment/Serialization),
/// so that a new message touches only its feature's serializer. Corrupt bytes are refused naming the message.
/// </summary>
public abstract class WireSerializer : SerializerWithStringManifest
{
    private readonly IActorRefProvider _provider;

    protected WireSerializer(ExtendedActorSystem system) : base(system) => _provider = system.Provider;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The serializer's name in errors.</summary>
    protected abstract string Name { get; }

    /// <summary>Writes <paramref name="message"/> as one array; false when it is not this serializer's.</summary>
    protected abstract bool Write(ref MessagePackWriter w, object message);

    /// <summary>Reads the message named <paramref name="manifest"/>.</summary>
    protected abstract object Read(ref MessagePackReader r, string manifest);

    public sealed override byte[] ToBinary(object obj)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var w = new MessagePackWriter(buffer);
        if (!Write(ref w, obj)) throw new ArgumentException($"{Name} cannot serialize {obj.GetType()}");
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The limits for bytes from another machine: MessagePack's own for untrusted data (its object-graph depth), held
    /// by <see cref="Vet"/>; the readers then accept only each message's exact shape.
    /// </summary>
    public static readonly MessagePackSecurity Security = MessagePackSecurity.UntrustedData;

    public sealed override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new MessagePackReader(bytes);
        try
        {
            Vet(bytes);
            object result = Read(ref r, manifest);
            // The reader may have been moved on by IntegerArrays (r.Consumed counts from there): what is left is its sequence's rest.
            if (!r.End) throw new SerializationException($"{Name}: {r.Sequence.Slice(r.Position).Length} bytes left after message '{manifest}'");
            return result;
        }
        // ArgumentException: a value a message's constructor refuses (a weight block of the wrong size, a repeated key).
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException
                                      or SerializationException or ArgumentException)
        {
            if (e is SerializationException s && s.Message.StartsWith(Name, StringComparison.Ordinal)) throw;
            throw new SerializationException($"{Name}: message '{manifest}' is corrupt: {e.Message}", e);
        }
    }

    /// <summary>
    /// Walks one value before anything is read from it: plain MessagePack only (nil, booleans, numbers, strings, bytes,
    /// arrays, maps), nested no deeper than <see cref="Security"/> allows, every length within the bytes that are
    /// there, nothing after it. Extension types, where MessagePack's typeless and union formats carry type names and
    /// codes, are refused: no type is ever chosen by the wire; each message's type comes from its manifest alone, from
    /// the serializer's own list. A loop over the bytes with an explicit stack (no recursion, no allocation): it runs
    /// on every frame, and a step's payloads are tens of thousands of values.
    /// </summary>
    internal static void Vet(ReadOnlySpan<byte> bytes)
    {
        int limit = Security.MaximumObjectGraphDepth;
        // remaining[d]: the values still to come in the array or map open at depth d (a map's keys and values both count).
        Span<long> remaining = stackalloc long[limit + 2];
        int depth = 0, at = 0;
        remaining[0] = 1;
        while (depth >= 0)
        {
            if (remaining[depth] == 0) { depth--; continue; }
            // A run of one-byte integers (a payload's counts and zeros, most of every step's bytes) is passed over at
            // once: a vectorized search for the first byte that is not one.
            if (remaining[depth] > 8 && bytes.Length - at > 8)
            {
                var run = bytes.Slice(at, (int)Math.Min(remaining[depth], bytes.Length - at));
                int plain = run.IndexOfAnyInRange((byte)(MessagePackCode.MaxFixInt + 1), (byte)(MessagePackCode.MinNegativeFixInt - 1));
                if (plain < 0) plain = run.Length;
                if (plain > 0) { at += plain; remaining[depth] -= plain; continue; }
            }
            remaining[depth]--;
            if (at >= bytes.Length) throw new EndOfStreamException($"the frame ends at byte {at} inside a value");
            byte code = bytes[at++];
            long skip = 0, open = -1;
            if (code <= 0x7f || code >= 0xe0) { }                       // positive and negative fixint
            else if (code <= 0x8f) open = 2L * (code & 0x0f);             // fixmap
            else if (code <= 0x9f) open = code & 0x0f;                    // fixarray
            else if (code <= 0xbf) skip = code & 0x1f;                    // fixstr
            else
            {
                switch (code)
                {
                    case 0xc0: case 0xc2: case 0xc3: break;                                  // nil, false, true
                    case 0xcc: case 0xd0: skip = 1; break;                                   // uint8, int8
                    case 0xcd: case 0xd1: skip = 2; break;
                    case 0xca: case 0xce: case 0xd2: skip = 4; break;                        // float32, uint32, int32
                    case 0xcb: case 0xcf: case 0xd3: skip = 8; break;                        // float64, uint64, int64
                    case 0xc4: case 0xd9: skip = Length(bytes, ref at, 1); break;            // bin8, str8
                    case 0xc5: case 0xda: skip = Length(bytes, ref at, 2); break;
                    case 0xc6: case 0xdb: skip = Length(bytes, ref at, 4); break;
                    case 0xdc: open = Length(bytes, ref at, 2); break;                       // array16
                    case 0xdd: open = Length(bytes, ref at, 4); break;
                    case 0xde: open = 2 * Length(bytes, ref at, 2); break;                   // map16
                    case 0xdf: open = 2 * Length(bytes, ref at, 4); break;
                    case >= 0xd4 and <= 0xd8:                                                 // fixext 1..16: the type code follows
                        throw Extension(bytes, at);
                    case >= 0xc7 and <= 0xc9:                                                 // ext 8/16/32: after the length
                        throw Extension(bytes, at + (1 << (code - 0xc7)));
                    default:
                        throw new SerializationException($"byte 0x{code:x2} at offset {at - 1} is not a MessagePack value");
                }
            }
            if (skip > bytes.Length - at) throw new EndOfStreamException($"a value at byte {at} claims {skip} bytes, {bytes.Length - at} are left");
            at += (int)skip;
            if (open > 0)
            {
                // Each value takes a byte at least (MessagePack's own guard against lengths that would allocate).
                if (open > bytes.Length - at) throw new EndOfStreamException($"an array or map at byte {at} claims {open} values, {bytes.Length - at} bytes are left");
                if (depth + 1 > limit) throw new SerializationException($"values nested deeper than {limit} levels (MessagePackSecurity.UntrustedData)");
                remaining[++depth] = open;
            }
        }
        if (at != bytes.Length) throw new SerializationException($"{bytes.Length - at} bytes after the message");
    }

    /// <summary>A big-endian length of <paramref name="size"/> bytes at <paramref name="at"/>, which moves past it.</summary>
    private static long Length(ReadOnlySpan<byte> bytes, ref int at, int size)
    {
        if (size > bytes.Length - at) throw new EndOfStreamException($"the frame ends inside a length at byte {at}");
        long n = 0;
        for (int i = 0; i < size; i++) n = (n << 8) | bytes[at + i];
        at += size;
        return n;
    }

    private static SerializationException Extension(ReadOnlySpan<byte> bytes, int typeAt) =>
        new(typeAt < bytes.Length
            ? $"an extension value (type code {(sbyte)bytes[typeAt]}) where only plain values are read"
            : "an extension value where only plain values are read");

    /// <summary>An unknown manifest, named.</summary>
    protected SerializationException Unknown(string manifest) => new($"{Name}: unknown manifest '{manifest}'");

    protected static void Fields(ref MessagePackReader r, int expected)
    {
        int n = r.ReadArrayHeader();
        if (n != expected) throw new SerializationException($"{n} fields where {expected} were expected");
    }

    protected static void WriteNullable(ref MessagePackWriter w, double? value)
    {
        if (value is { } v) w.Write(v); else w.WriteNil();
    }

    protected static void WriteLongs(ref MessagePackWriter w, ImmutableArray<long> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        IntegerArrays.Write(ref w, values.AsSpan());
    }

    protected static ImmutableArray<long> ReadLongs(ref MessagePackReader r) =>
        r.TryReadNil() ? default : ImmutableCollectionsMarshal.AsImmutableArray(IntegerArrays.Read<long>(ref r));

    protected static void WriteInts(ref MessagePackWriter w, ImmutableArray<int> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        IntegerArrays.Write(ref w, values.AsSpan());
    }

    protected static ImmutableArray<int> ReadInts(ref MessagePackReader r) =>
        r.TryReadNil() ? default : ImmutableCollectionsMarshal.AsImmutableArray(IntegerArrays.Read<int>(ref r));

    protected static void WriteDoubles(ref MessagePackWriter w, ImmutableArray<double> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    protected static ImmutableArray<double> ReadDoubles(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new double[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadDouble();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }

    protected static void WriteHeader(ref MessagePackWriter w, StepHeader h)
    {
        w.WriteArrayHeader(5);
        w.Write(h.Step); WriteInts(ref w, h.Slots); WriteLongs(ref w, h.LocalSteps); WriteInts(ref w, h.Resets); WriteInts(ref w, h.Reads);
    }

    protected static StepHeader ReadHeader(ref MessagePackReader r)
    {
        Fields(ref r, 5);
        var h = new StepHeader(r.ReadInt64(), ReadInts(ref r), ReadLongs(ref r), ReadInts(ref r), ReadInts(ref r));
        if (h.Slots.IsDefault || h.LocalSteps.IsDefault || h.Resets.IsDefault || h.Reads.IsDefault || h.LocalSteps.Length != h.Slots.Length)
            throw new SerializationException($"step header of step {h.Step}: slots and their steps are missing or differ in length");
        if (h.Reads.Any(k => (uint)k >= (uint)h.Slots.Length))
            throw new SerializationException($"step header of step {h.Step}: a read names a slot index outside 0..{h.Slots.Length - 1}");
        return h;
    }

    protected static void WriteSnapshot(ref MessagePackWriter w, CoreSnapshot s)
    {
        w.WriteArrayHeader(4);
        w.Write(s.Slots); WriteLongs(ref w, s.Quantizer);
        w.WriteArrayHeader(s.Delayed.Length);
        foreach (var d in s.Delayed) WriteLongs(ref w, d);
        w.WriteArrayHeader(s.Integrated.Length);
        foreach (var d in s.Integrated) WriteLongs(ref w, d);
    }

    protected static CoreSnapshot ReadSnapshot(ref MessagePackReader r)
    {
        Fields(ref r, 4);
        int slots = r.ReadInt32();
        var quantizer = ReadLongs(ref r);
        var delayed = new ImmutableArray<long>[r.ReadArrayHeader()];
        for (int i = 0; i < delayed.Length; i++) delayed[i] = ReadLongs(ref r);
        var integrated = new ImmutableArray<long>[r.ReadArrayHeader()];
        for (int i = 0; i < integrated.Length; i++) integrated[i] = ReadLongs(ref r);
        if (quantizer.IsDefault || delayed.Any(d => d.IsDefault) || integrated.Any(d => d.IsDefault)) throw new SerializationException("core snapshot: a state array is missing");
        return new CoreSnapshot(slots, quantizer, ImmutableCollectionsMarshal.AsImmutableArray(delayed), ImmutableCollectionsMarshal.AsImmutableArray(integrated));
    }

    private protected static void WriteCounters(ref MessagePackWriter w, CoreCounters? c)
    {
        if (c is null) { w.WriteNil(); return; }
        w.WriteArrayHeader(3);
        WriteLongs(ref w, c.Generations); WriteLongs(ref w, c.LastLocal);
        w.WriteArrayHeader(c.Traffic.Length);
        foreach (var bins in c.Traffic) WriteLongs(ref w, bins);
    }

    private protected static CoreCounters? ReadCounters(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return null;
        Fields(ref r, 3);
        var generations = ReadLongs(ref r);
        var lastLocal = ReadLongs(ref r);
        var traffic = new ImmutableArray<long>[r.ReadArrayHeader()];
        for (int i = 0; i < traffic.Length; i++) traffic[i] = ReadLongs(ref r);
        if (generations.IsDefault || lastLocal.IsDefault || traffic.Any(t => t.IsDefault)) throw new SerializationException("core counters: an array is missing");
        return new CoreCounters(generations, lastLocal, ImmutableCollectionsMarshal.AsImmutableArray(traffic));
    }

    protected void WriteRef(ref MessagePackWriter w, IActorRef? actor)
    {
        if (actor is null) w.WriteNil();
        else w.Write(Akka.Serialization.Serialization.SerializedActorPath(actor));
    }

    private protected void WriteWire(ref MessagePackWriter w, Wire wire)
    {
        w.WriteArrayHeader(3);
        w.WriteArrayHeader(wire.Destinations.Length);
        foreach (var d in wire.Destinations) WriteRef(ref w, d);
        WriteInts(ref w, wire.DestinationCores);
        if (wire.Lookup is { } l) WriteLookup(ref w, l); else w.WriteNil();
    }

    private protected Wire ReadWire(ref MessagePackReader r)
    {
        Fields(ref r, 3);
        var refs = new IActorRef[r.ReadArrayHeader()];
        for (int i = 0; i < refs.Length; i++) refs[i] = ReadRef(ref r);
        var cores = ReadInts(ref r);
        var lookup = r.TryReadNil() ? null : ReadLookup(ref r);
        if (lookup is not null && lookup.DeliveryChip.Length != refs.Length)
            throw new SerializationException($"wire: {refs.Length} destinations but a lookup for {lookup.DeliveryChip.Length}");
        return new Wire(ImmutableCollectionsMarshal.AsImmutableArray(refs), cores, lookup);
    }

    // A core's routing by lookup (SpiNNaker tables): its key and chip, where each destination sits, and the
    // machine's tables. The tables go with every wire (one copy per core on the far node; a known cost).
    private static void WriteLookup(ref MessagePackWriter w, Mapping.Routing.Tables.PacketLookup l)
    {
        var t = l.Tables;
        w.WriteArrayHeader(12);
        w.Write(l.Key); w.Write(l.RootChip); WriteInts(ref w, l.DeliveryChip); WriteInts(ref w, l.DeliveryOnChip);
        w.Write(t.Width); w.Write(t.Height); WriteInts(ref w, t.Chips); WriteInts(ref w, t.EntryStart);
        w.WriteArrayHeader(t.Keys.Length); foreach (var v in t.Keys) w.Write(v);
        w.WriteArrayHeader(t.Masks.Length); foreach (var v in t.Masks) w.Write(v);
        w.Write(t.Links.AsSpan());
        w.WriteArrayHeader(t.Cores.Length); foreach (var v in t.Cores) w.Write(v);
    }

    private static Mapping.Routing.Tables.PacketLookup ReadLookup(ref MessagePackReader r)
    {
        Fields(ref r, 12);
        uint key = r.ReadUInt32(); int root = r.ReadInt32();
        var chip = ReadInts(ref r); var onChip = ReadInts(ref r);
        int width = r.ReadInt32(), height = r.ReadInt32();
        var chips = ReadInts(ref r); var start = ReadInts(ref r);
        var keys = new uint[r.ReadArrayHeader()]; for (int i = 0; i < keys.Length; i++) keys[i] = r.ReadUInt32();
        var masks = new uint[r.ReadArrayHeader()]; for (int i = 0; i < masks.Length; i++) masks[i] = r.ReadUInt32();
        var links = r.ReadBytes()?.ToArray() ?? throw new SerializationException("lookup: the links are nil");
        var words = new ulong[r.ReadArrayHeader()]; for (int i = 0; i < words.Length; i++) words[i] = r.ReadUInt64();
        if (chip.IsDefault || onChip.IsDefault || chip.Length != onChip.Length) throw new SerializationException("lookup: the destinations' chips and cores differ in number");
        if (width < 3 || height < 3 || (uint)root >= (uint)(width * height)) throw new SerializationException($"lookup: chip {root} is not on a {width}x{height} torus");
        if (chips.IsDefault || start.IsDefault || start.Length != chips.Length + 1 || start[^1] != keys.Length)
            throw new SerializationException("lookup: the table image's chips and entry ranges do not agree");
        if (masks.Length != keys.Length || links.Length != keys.Length || words.Length != 4 * keys.Length)
            throw new SerializationException($"lookup: {keys.Length} keys but {masks.Length} masks, {links.Length} routes and {words.Length / 4} core sets");
        var image = new Mapping.Routing.Tables.TableImage(width, height, chips, start, ImmutableCollectionsMarshal.AsImmutableArray(keys), ImmutableCollectionsMarshal.AsImmutableArray(masks),
            ImmutableCollectionsMarshal.AsImmutableArray(links), ImmutableCollectionsMarshal.AsImmutableArray(words));
        return new Mapping.Routing.Tables.PacketLookup(image, key, root, chip, onChip);
    }

    protected static double? ReadNullable(ref MessagePackReader r) => r.TryReadNil() ? null : r.ReadDouble();

    protected static string ReadString(ref MessagePackReader r) => r.ReadString() ?? throw new SerializationException("a string is nil");

    protected IActorRef ReadRef(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return ActorRefs.Nobody;
        var path = ReadString(ref r);
        try
        {
            return _provider.ResolveActorRef(path);
        }
        catch (Exception e) when (e is FormatException or UriFormatException or ArgumentException)
        {
            // Akka parses the path (and its actor's uid) as it resolves it: a malformed one is a corrupt frame.
            throw new SerializationException($"'{(path.Length > 200 ? path[..200] + "..." : path)}' is not an actor path ({e.Message})", e);
        }
    }
}
