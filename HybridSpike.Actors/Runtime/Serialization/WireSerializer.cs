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
            var vetting = new MessagePackReader(bytes);
            Vet(ref vetting);
            if (!vetting.End) throw new SerializationException($"{bytes.Length - vetting.Consumed} bytes after the message");
            object result = Read(ref r, manifest);
            if (!r.End) throw new SerializationException($"{Name}: {bytes.Length - r.Consumed} bytes left after message '{manifest}'");
            return result;
        }
        // ArgumentException: a value a message's constructor refuses (a weight block of the wrong size, a repeated key).
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException
                                      or SerializationException or ArgumentException or InsufficientExecutionStackException)
        {
            if (e is SerializationException s && s.Message.StartsWith(Name, StringComparison.Ordinal)) throw;
            throw new SerializationException($"{Name}: message '{manifest}' is corrupt: {e.Message}", e);
        }
    }

    /// <summary>
    /// Walks one value before anything is read from it: plain MessagePack only (nil, booleans, numbers, strings, bytes,
    /// arrays, maps), nested no deeper than <see cref="Security"/> allows. Extension types, where MessagePack's
    /// typeless and union formats carry type names and codes, are refused: no type is ever chosen by the wire; each
    /// message's type comes from its manifest alone, from the serializer's own list.
    /// </summary>
    private static void Vet(ref MessagePackReader r)
    {
        switch (r.NextMessagePackType)
        {
            case MessagePackType.Array:
            {
                Security.DepthStep(ref r);
                int n = r.ReadArrayHeader();
                for (int i = 0; i < n; i++) Vet(ref r);
                r.Depth--;
                break;
            }
            case MessagePackType.Map:
            {
                Security.DepthStep(ref r);
                int n = r.ReadMapHeader();
                for (int i = 0; i < 2 * n; i++) Vet(ref r);
                r.Depth--;
                break;
            }
            case MessagePackType.Extension:
                throw new SerializationException($"an extension value (type code {r.ReadExtensionFormatHeader().TypeCode}) where only plain values are read");
            case MessagePackType.Unknown:
                throw new SerializationException($"byte 0x{r.Sequence.Slice(r.Position).FirstSpan[0]:x2} at offset {r.Consumed} is not a MessagePack value");
            default:
                r.Skip();
                break;
        }
    }

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
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    protected static ImmutableArray<long> ReadLongs(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new long[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadInt64();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }

    protected static void WriteInts(ref MessagePackWriter w, ImmutableArray<int> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    protected static ImmutableArray<int> ReadInts(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new int[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadInt32();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }

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
        w.WriteArrayHeader(3);
        w.Write(s.Slots); WriteLongs(ref w, s.Quantizer);
        w.WriteArrayHeader(s.Delayed.Length);
        foreach (var d in s.Delayed) WriteLongs(ref w, d);
    }

    protected static CoreSnapshot ReadSnapshot(ref MessagePackReader r)
    {
        Fields(ref r, 3);
        int slots = r.ReadInt32();
        var quantizer = ReadLongs(ref r);
        var delayed = new ImmutableArray<long>[r.ReadArrayHeader()];
        for (int i = 0; i < delayed.Length; i++) delayed[i] = ReadLongs(ref r);
        if (quantizer.IsDefault || delayed.Any(d => d.IsDefault)) throw new SerializationException("core snapshot: a state array is missing");
        return new CoreSnapshot(slots, quantizer, ImmutableCollectionsMarshal.AsImmutableArray(delayed));
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
