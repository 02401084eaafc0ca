using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using HybridSpike.Mapping.Telemetry;
using System.Runtime.Serialization;
using MessagePack;

namespace HybridSpike.Actors.Runtime.Serialization;

/// <summary>
/// The step protocol's messages on the wire (payloads, step inputs and starts, wiring, progress, outputs, counts,
/// boundary requests and their answers, telemetry, spike taps): everything cores and the driver say to each other across nodes.
/// Bound in reference.conf (akka.actor.serialization-bindings); messages between actors of one system are never
/// serialized.
/// </summary>
public sealed class RuntimeSerializer(ExtendedActorSystem system) : WireSerializer(system)
{
    /// <summary>The serializer id in reference.conf (akka.actor.serialization-identifiers); unique in the system.</summary>
    public const int Id = 5813;

    public override int Identifier => Id;

    protected override string Name => "RuntimeSerializer";

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
        Progress => "PG",
        TapOn => "TN",
        TapOff => "TF",
        TapReady => "TR",
        TapCounts => "TC",
        _ => throw new ArgumentException($"RuntimeSerializer cannot serialize {o.GetType()}"),
    };

    protected override bool Write(ref MessagePackWriter w, object message)
    {
        switch (message)
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
                w.WriteArrayHeader(2);
                w.Write(ts.Step); w.Write(ts.WithCounters);
                break;
            case CoreSnapshotTaken taken:
                w.WriteArrayHeader(4);
                w.Write(taken.Core); w.Write(taken.Step); WriteSnapshot(ref w, taken.State); WriteCounters(ref w, taken.Counters);
                break;
            case CollectTraffic ct:
                w.WriteArrayHeader(2);
                w.Write(ct.Step); w.Write(ct.Steps);
                break;
            case Wire wire:
                WriteWire(ref w, wire);
                break;
            case CoreTraffic t:
                w.WriteArrayHeader(7);
                w.Write(t.Core);
                WriteLongs(ref w, t.SynapticEventsPerStep); WriteLongs(ref w, t.NeuronUpdatesPerStep); WriteLongs(ref w, t.SpikesPerStep);
                WriteLongs(ref w, t.PacketsReceivedPerStep);
                WritePerDestination(ref w, t.PacketsToPerStep);
                WritePerDestination(ref w, t.PayloadPacketsToPerStep);
                break;
            case CoreCounts c:
                w.WriteArrayHeader(5);
                w.Write(c.Step); w.Write(c.Population); w.Write(c.Start); w.Write(c.Count); WriteInts(ref w, c.Values);
                break;
            case OutputActivity o:
                w.WriteArrayHeader(4);
                w.Write(o.Step); w.Write(o.Start); w.Write(o.Count); WriteDoubles(ref w, o.Values);
                break;
            case Progress g:
                w.WriteArrayHeader(2);
                w.Write(g.Core); w.Write(g.Steps);
                break;
            case TapOn on:
                w.WriteArrayHeader(5);
                w.Write(on.Tap); w.Write(on.Slot); w.Write(on.Generation); w.Write(on.From); WriteRef(ref w, on.Watcher);
                break;
            case TapOff off:
                w.WriteArrayHeader(1);
                w.Write(off.Tap);
                break;
            case TapReady ready:
                w.WriteArrayHeader(3);
                w.Write(ready.Tap); w.Write(ready.Core); w.Write(ready.FirstStep);
                break;
            case TapCounts tc:
                w.WriteArrayHeader(5);
                w.Write(tc.Tap); w.Write(tc.Step); w.Write(tc.Start); w.Write(tc.Count); WriteInts(ref w, tc.Values);
                break;
            default:
                return false;
        }
        return true;
    }

    protected override object Read(ref MessagePackReader r, string manifest)
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
                Fields(ref r, 2);
                return new TakeSnapshot(r.ReadInt64(), r.ReadBoolean());
            case "ST":
                Fields(ref r, 4);
                return new CoreSnapshotTaken(r.ReadInt32(), r.ReadInt64(), ReadSnapshot(ref r), ReadCounters(ref r));
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
            case "PG":
                Fields(ref r, 2);
                return new Progress(r.ReadInt32(), r.ReadInt64());
            case "TN":
                Fields(ref r, 5);
                return new TapOn(r.ReadInt64(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), ReadRef(ref r));
            case "TF":
                Fields(ref r, 1);
                return new TapOff(r.ReadInt64());
            case "TR":
                Fields(ref r, 3);
                return new TapReady(r.ReadInt64(), r.ReadInt32(), r.ReadInt64());
            case "TC":
            {
                Fields(ref r, 5);
                var tc = new TapCounts(r.ReadInt64(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), ReadInts(ref r));
                if (tc.Values.IsDefault || tc.Values.Length != tc.Count) throw new SerializationException($"tap counts of step {tc.Step}: {(tc.Values.IsDefault ? "no" : tc.Values.Length)} values for {tc.Count} units");
                return tc;
            }
            default:
                throw Unknown(manifest);
        }
    }

    private static CoreTraffic ReadTraffic(ref MessagePackReader r)
    {
        Fields(ref r, 7);
        int core = r.ReadInt32();
        var syn = ReadLongs(ref r);
        var updates = ReadLongs(ref r);
        var spikes = ReadLongs(ref r);
        var received = ReadLongs(ref r);
        var to = ReadPerDestination(ref r);
        var payloadTo = ReadPerDestination(ref r);
        return new CoreTraffic(core, syn, updates, spikes, received, to, payloadTo);
    }

    private static void WritePerDestination(ref MessagePackWriter w, ImmutableDictionary<int, ImmutableArray<long>> perDestination)
    {
        w.WriteMapHeader(perDestination.Count);
        foreach (var (to, counts) in perDestination.OrderBy(kv => kv.Key)) { w.Write(to); WriteLongs(ref w, counts); }
    }

    private static ImmutableDictionary<int, ImmutableArray<long>> ReadPerDestination(ref MessagePackReader r)
    {
        int n = r.ReadMapHeader();
        var to = ImmutableDictionary.CreateBuilder<int, ImmutableArray<long>>();
        for (int i = 0; i < n; i++)
        {
            int core = r.ReadInt32();
            if (to.ContainsKey(core)) throw new SerializationException($"traffic: destination core {core} is listed twice");
            to.Add(core, ReadLongs(ref r));
        }
        return to.ToImmutable();
    }
}
