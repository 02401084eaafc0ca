using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using MessagePack;

namespace HybridSpike.Actors.Cluster;

/// <summary>
/// The wire format of every message that crosses mesh nodes: one MessagePack array per message, fields in
/// declaration order, named by a short string manifest. Integers take MessagePack's shortest form (a zero payload
/// is one byte), doubles are float64 (bit exact), an actor ref is its full path
/// (<see cref="Serialization.SerializedActorPath"/>) resolved on arrival by the receiving system's provider.
/// Bound to the types in reference.conf (akka.actor.serialization-bindings). Messages between actors of one
/// system are never serialized: a single-node run does not come here.
/// </summary>
public sealed class MeshSerializer : SerializerWithStringManifest
{
    private readonly IActorRefProvider _provider;

    public MeshSerializer(ExtendedActorSystem system) : base(system) => _provider = system.Provider;

    /// <summary>The serializer id in reference.conf (akka.actor.serialization-identifiers); unique in the system.</summary>
    public const int Id = 5813;

    public override int Identifier => Id;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    public override string Manifest(object o) => o switch
    {
        Payloads => "P",
        StepInput => "I",
        StepStart => "S",
        TakeSnapshot => "TS",
        CoreSnapshotTaken => "ST",
        CollectTraffic => "CT",
        Wire => "W",
        CoreTraffic => "T",
        CoreCounts => "C",
        OutputActivity => "O",
        HostCore => "H",
        CoreHosted => "HC",
        WireCores => "WC",
        CoresWired => "CW",
        CoreFailed => "F",
        EndRun => "E",
        Progress => "PG",
        _ => throw new ArgumentException($"MeshSerializer cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var w = new MessagePackWriter(buffer);
        switch (obj)
        {
            case Payloads p:
                w.WriteArrayHeader(5);
                WriteHeader(ref w, p.Header); w.Write(p.Population); w.Write(p.Start); w.Write(p.Count); WriteLongs(ref w, p.Values);
                break;
            case StepInput i:
                w.WriteArrayHeader(2);
                WriteHeader(ref w, i.Header); WriteLongs(ref w, i.Values);
                break;
            case StepStart st:
                w.WriteArrayHeader(1);
                WriteHeader(ref w, st.Header);
                break;
            case TakeSnapshot ts:
                w.WriteArrayHeader(1);
                w.Write(ts.Step);
                break;
            case CoreSnapshotTaken taken:
                w.WriteArrayHeader(3);
                w.Write(taken.Core); w.Write(taken.Step); WriteSnapshot(ref w, taken.State);
                break;
            case CollectTraffic ct:
                w.WriteArrayHeader(2);
                w.Write(ct.Step); w.Write(ct.Steps);
                break;
            case Wire wire:
                WriteWire(ref w, wire);
                break;
            case CoreTraffic t:
                w.WriteArrayHeader(6);
                w.Write(t.Core);
                WriteLongs(ref w, t.SynapticEventsPerStep); WriteLongs(ref w, t.NeuronUpdatesPerStep); WriteLongs(ref w, t.SpikesPerStep);
                WriteLongs(ref w, t.PacketsReceivedPerStep);
                w.WriteMapHeader(t.PacketsToPerStep.Count);
                foreach (var (to, packets) in t.PacketsToPerStep.OrderBy(kv => kv.Key)) { w.Write(to); WriteLongs(ref w, packets); }
                break;
            case CoreCounts c:
                w.WriteArrayHeader(5);
                w.Write(c.Step); w.Write(c.Population); w.Write(c.Start); w.Write(c.Count); WriteInts(ref w, c.Values);
                break;
            case OutputActivity o:
                w.WriteArrayHeader(4);
                w.Write(o.Step); w.Write(o.Start); w.Write(o.Count); WriteDoubles(ref w, o.Values);
                break;
            case HostCore h:
                w.WriteArrayHeader(3);
                w.Write(h.RunId); WriteSetup(ref w, h.Setup); WritePopulation(ref w, h.Population);
                break;
            case CoreHosted h:
                w.WriteArrayHeader(3);
                w.Write(h.RunId); w.Write(h.Core); WriteRef(ref w, h.CoreRef);
                break;
            case WireCores wc:
                w.WriteArrayHeader(3);
                w.Write(wc.RunId); WriteInts(ref w, wc.Cores);
                w.WriteArrayHeader(wc.Wires.Length);
                foreach (var x in wc.Wires) WriteWire(ref w, x);
                break;
            case CoresWired cw:
                w.WriteArrayHeader(1);
                w.Write(cw.RunId);
                break;
            case CoreFailed f:
                w.WriteArrayHeader(3);
                w.Write(f.RunId); w.Write(f.Node); w.Write(f.Error);
                break;
            case EndRun e:
                w.WriteArrayHeader(1);
                w.Write(e.RunId);
                break;
            case Progress g:
                w.WriteArrayHeader(2);
                w.Write(g.Core); w.Write(g.Steps);
                break;
            default:
                throw new ArgumentException($"MeshSerializer cannot serialize {obj.GetType()}");
        }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new MessagePackReader(bytes);
        try
        {
            object result = Read(ref r, manifest);
            if (!r.End) throw new SerializationException($"MeshSerializer: {bytes.Length - r.Consumed} bytes left after message '{manifest}'");
            return result;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException)
        {
            throw new SerializationException($"MeshSerializer: message '{manifest}' is corrupt: {e.Message}", e);
        }
    }

    private object Read(ref MessagePackReader r, string manifest)
    {
        switch (manifest)
        {
            case "P":
                Fields(ref r, 5);
                return new Payloads(ReadHeader(ref r), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), ReadLongs(ref r));
            case "I":
                Fields(ref r, 2);
                return new StepInput(ReadHeader(ref r), ReadLongs(ref r));
            case "S":
                Fields(ref r, 1);
                return new StepStart(ReadHeader(ref r));
            case "TS":
                Fields(ref r, 1);
                return new TakeSnapshot(r.ReadInt64());
            case "ST":
                Fields(ref r, 3);
                return new CoreSnapshotTaken(r.ReadInt32(), r.ReadInt64(), ReadSnapshot(ref r));
            case "CT":
                Fields(ref r, 2);
                return new CollectTraffic(r.ReadInt64(), r.ReadInt32());
            case "W":
                return ReadWire(ref r);
            case "T":
                return ReadTraffic(ref r);
            case "C":
                Fields(ref r, 5);
                return new CoreCounts(r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), ReadInts(ref r));
            case "O":
                Fields(ref r, 4);
                return new OutputActivity(r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), ReadDoubles(ref r));
            case "H":
                Fields(ref r, 3);
                return new HostCore(ReadString(ref r), ReadSetup(ref r), ReadPopulation(ref r));
            case "HC":
                Fields(ref r, 3);
                return new CoreHosted(ReadString(ref r), r.ReadInt32(), ReadRef(ref r));
            case "WC":
                return ReadWireCores(ref r);
            case "CW":
                Fields(ref r, 1);
                return new CoresWired(ReadString(ref r));
            case "F":
                Fields(ref r, 3);
                return new CoreFailed(ReadString(ref r), ReadString(ref r), ReadString(ref r));
            case "E":
                Fields(ref r, 1);
                return new EndRun(ReadString(ref r));
            case "PG":
                Fields(ref r, 2);
                return new Progress(r.ReadInt32(), r.ReadInt64());
            default:
                throw new SerializationException($"MeshSerializer: unknown manifest '{manifest}'");
        }
    }

    private static void Fields(ref MessagePackReader r, int expected)
    {
        int n = r.ReadArrayHeader();
        if (n != expected) throw new SerializationException($"MeshSerializer: {n} fields where {expected} were expected");
    }

    private static string ReadString(ref MessagePackReader r) => r.ReadString() ?? throw new SerializationException("MeshSerializer: a string is nil");

    private void WriteRef(ref MessagePackWriter w, IActorRef? actor)
    {
        if (actor is null) w.WriteNil();
        else w.Write(Serialization.SerializedActorPath(actor));
    }

    private IActorRef ReadRef(ref MessagePackReader r) =>
        r.TryReadNil() ? ActorRefs.Nobody : _provider.ResolveActorRef(ReadString(ref r));

    private void WriteWire(ref MessagePackWriter w, Wire wire)
    {
        w.WriteArrayHeader(2);
        w.WriteArrayHeader(wire.Destinations.Length);
        foreach (var d in wire.Destinations) WriteRef(ref w, d);
        WriteInts(ref w, wire.DestinationCores);
    }

    private Wire ReadWire(ref MessagePackReader r)
    {
        Fields(ref r, 2);
        var refs = new IActorRef[r.ReadArrayHeader()];
        for (int i = 0; i < refs.Length; i++) refs[i] = ReadRef(ref r);
        return new Wire(ImmutableCollectionsMarshal.AsImmutableArray(refs), ReadInts(ref r));
    }

    private WireCores ReadWireCores(ref MessagePackReader r)
    {
        Fields(ref r, 3);
        var run = ReadString(ref r);
        var cores = ReadInts(ref r);
        var wires = new Wire[r.ReadArrayHeader()];
        for (int i = 0; i < wires.Length; i++) wires[i] = ReadWire(ref r);
        return new WireCores(run, cores, ImmutableCollectionsMarshal.AsImmutableArray(wires));
    }

    private static CoreTraffic ReadTraffic(ref MessagePackReader r)
    {
        Fields(ref r, 6);
        int core = r.ReadInt32();
        var syn = ReadLongs(ref r);
        var updates = ReadLongs(ref r);
        var spikes = ReadLongs(ref r);
        var received = ReadLongs(ref r);
        int n = r.ReadMapHeader();
        var to = ImmutableDictionary.CreateBuilder<int, ImmutableArray<long>>();
        for (int i = 0; i < n; i++) to.Add(r.ReadInt32(), ReadLongs(ref r));
        return new CoreTraffic(core, syn, updates, spikes, received, to.ToImmutable());
    }

    private void WriteSetup(ref MessagePackWriter w, CoreSetup s)
    {
        w.WriteArrayHeader(12);
        w.Write(s.Core); w.Write(s.Population); w.Write(s.Start); w.Write(s.Count); w.Write(s.Slots);
        w.Write(s.RecordCounts); w.Write(s.IsOutput); w.Write(s.NeedsStart); w.Write(s.ProgressInterval);
        w.WriteArrayHeader(s.Incoming.Length);
        foreach (var c in s.Incoming)
        {
            // The weights go as a row-major mantissa matrix; the receiving node lays them out for its kernel.
            w.WriteArrayHeader(8);
            w.Write(c.Source); w.Write(c.SourceSize); w.Write(c.SourceCores); w.Write(c.OneStep); WriteNullable(ref w, c.SourceOmega);
            w.Write(c.Weights.Targets); WriteInts(ref w, ImmutableCollectionsMarshal.AsImmutableArray(c.Weights.ToRowMajor())); WriteInts(ref w, c.RowExponents);
        }
        WriteRef(ref w, s.Driver);
        if (s.Restore is { } restore) WriteSnapshot(ref w, restore); else w.WriteNil();
    }

    private CoreSetup ReadSetup(ref MessagePackReader r)
    {
        Fields(ref r, 12);
        int core = r.ReadInt32(), population = r.ReadInt32(), start = r.ReadInt32(), count = r.ReadInt32(), slots = r.ReadInt32();
        bool record = r.ReadBoolean(), output = r.ReadBoolean(), needsStart = r.ReadBoolean();
        int progress = r.ReadInt32();
        var incoming = new IncomingConnection[r.ReadArrayHeader()];
        for (int i = 0; i < incoming.Length; i++)
        {
            Fields(ref r, 8);
            int source = r.ReadInt32(), sourceSize = r.ReadInt32(), sourceCores = r.ReadInt32();
            bool oneStep = r.ReadBoolean();
            double? omega = ReadNullable(ref r);
            int targets = r.ReadInt32();
            var mantissas = ReadInts(ref r);
            if (targets < 0 || mantissas.IsDefault || mantissas.Length != (long)targets * sourceSize)
                throw new SerializationException($"core setup: {mantissas.Length} mantissas for {targets} targets x {sourceSize} sources");
            incoming[i] = new IncomingConnection(source, sourceSize, sourceCores, oneStep, omega,
                MantissaBlock.FromRowMajor(targets, sourceSize, mantissas.AsSpan()), ReadInts(ref r));
        }
        var driver = ReadRef(ref r);
        var restore = r.TryReadNil() ? null : ReadSnapshot(ref r);
        return new CoreSetup(core, population, start, count, slots, record, output, needsStart, progress, ImmutableCollectionsMarshal.AsImmutableArray(incoming), driver, restore);
    }

    private static void WriteHeader(ref MessagePackWriter w, StepHeader h)
    {
        w.WriteArrayHeader(5);
        w.Write(h.Step); WriteInts(ref w, h.Slots); WriteLongs(ref w, h.LocalSteps); WriteInts(ref w, h.Resets); WriteInts(ref w, h.Reads);
    }

    private static StepHeader ReadHeader(ref MessagePackReader r)
    {
        Fields(ref r, 5);
        var h = new StepHeader(r.ReadInt64(), ReadInts(ref r), ReadLongs(ref r), ReadInts(ref r), ReadInts(ref r));
        if (h.Slots.IsDefault || h.LocalSteps.IsDefault || h.Resets.IsDefault || h.Reads.IsDefault || h.LocalSteps.Length != h.Slots.Length)
            throw new SerializationException($"step header of step {h.Step}: slots and their steps are missing or differ in length");
        if (h.Reads.Any(k => (uint)k >= (uint)h.Slots.Length))
            throw new SerializationException($"step header of step {h.Step}: a read names a slot index outside 0..{h.Slots.Length - 1}");
        return h;
    }

    private static void WriteSnapshot(ref MessagePackWriter w, CoreSnapshot s)
    {
        w.WriteArrayHeader(3);
        w.Write(s.Slots); WriteLongs(ref w, s.Quantizer);
        w.WriteArrayHeader(s.Delayed.Length);
        foreach (var d in s.Delayed) WriteLongs(ref w, d);
    }

    private static CoreSnapshot ReadSnapshot(ref MessagePackReader r)
    {
        Fields(ref r, 3);
        int slots = r.ReadInt32();
        var quantizer = ReadLongs(ref r);
        var delayed = new ImmutableArray<long>[r.ReadArrayHeader()];
        for (int i = 0; i < delayed.Length; i++) delayed[i] = ReadLongs(ref r);
        if (quantizer.IsDefault || delayed.Any(d => d.IsDefault)) throw new SerializationException("core snapshot: a state array is missing");
        return new CoreSnapshot(slots, quantizer, ImmutableCollectionsMarshal.AsImmutableArray(delayed));
    }

    private static void WritePopulation(ref MessagePackWriter w, Population p)
    {
        w.WriteArrayHeader(7);
        w.Write(p.Name); w.Write(p.Size); w.Write((int)p.Activation); WriteNullable(ref w, p.Omega); WriteDoubles(ref w, p.Bias);
        w.Write((int)p.InitialState); w.Write(p.InitialSeed);
    }

    private static Population ReadPopulation(ref MessagePackReader r)
    {
        Fields(ref r, 7);
        return new Population(ReadString(ref r), r.ReadInt32(), (Activation)r.ReadInt32(), ReadNullable(ref r), ReadDoubles(ref r),
            (InitialStateMode)r.ReadInt32(), r.ReadUInt64());
    }

    private static void WriteNullable(ref MessagePackWriter w, double? value)
    {
        if (value is { } v) w.Write(v); else w.WriteNil();
    }

    private static double? ReadNullable(ref MessagePackReader r) => r.TryReadNil() ? null : r.ReadDouble();

    // Arrays: nil for a default (unset) ImmutableArray, so that "unset" and "empty" survive the trip.
    private static void WriteLongs(ref MessagePackWriter w, ImmutableArray<long> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static ImmutableArray<long> ReadLongs(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new long[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadInt64();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }

    private static void WriteInts(ref MessagePackWriter w, ImmutableArray<int> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static ImmutableArray<int> ReadInts(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new int[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadInt32();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }

    private static void WriteDoubles(ref MessagePackWriter w, ImmutableArray<double> values)
    {
        if (values.IsDefault) { w.WriteNil(); return; }
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static ImmutableArray<double> ReadDoubles(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return default;
        var a = new double[r.ReadArrayHeader()];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadDouble();
        return ImmutableCollectionsMarshal.AsImmutableArray(a);
    }
}
