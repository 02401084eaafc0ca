using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using HybridSpike.Actors.Runtime.Serialization;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using MessagePack;

namespace HybridSpike.Actors.Runtime.Deployment.Serialization;

/// <summary>
/// Core hosting on the wire: a deployment's setup messages to the nodes that host its cores and their answers
/// (<see cref="HostCore"/> with the core's mantissas row-major and the population's description, <see cref="CoreHosted"/>,
/// <see cref="WireCores"/>, <see cref="CoresWired"/>, <see cref="CoreFailed"/>, <see cref="EndRun"/>).
/// </summary>
public sealed class DeploymentSerializer(ExtendedActorSystem system) : WireSerializer(system)
{
    /// <summary>The serializer id in reference.conf (akka.actor.serialization-identifiers); unique in the system.</summary>
    public const int Id = 5814;

    public override int Identifier => Id;

    protected override string Name => "DeploymentSerializer";

    public override string Manifest(object o) => o switch
    {
        HostCore => "H",
        CoreHosted => "HC",
        WireCores => "WC",
        CoresWired => "CW",
        CoreFailed => "F",
        EndRun => "E",
        _ => throw new ArgumentException($"DeploymentSerializer cannot serialize {o.GetType()}"),
    };

    protected override bool Write(ref MessagePackWriter w, object message)
    {
        switch (message)
        {
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
            default:
                return false;
        }
        return true;
    }

    protected override object Read(ref MessagePackReader r, string manifest)
    {
        switch (manifest)
        {
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
            default:
                throw Unknown(manifest);
        }
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

    private void WriteSetup(ref MessagePackWriter w, CoreSetup s)
    {
        w.WriteArrayHeader(14);
        w.Write(s.Core); w.Write(s.Population); w.Write(s.Start); w.Write(s.Count); w.Write(s.Slots);
        w.Write(s.RecordCounts); w.Write(s.IsOutput); w.Write(s.NeedsStart); w.Write(s.ProgressInterval);
        w.WriteArrayHeader(s.Incoming.Length);
        foreach (var c in s.Incoming)
        {
            // The weights go as a row-major mantissa matrix; the receiving node lays them out for its kernel.
            w.WriteArrayHeader(9);
            w.Write(c.Source); w.Write(c.SourceSize); w.Write(c.SourceCores); w.Write(c.OneStep); WriteNullable(ref w, c.SourceOmega);
            w.Write(c.Weights.Targets); WriteInts(ref w, ImmutableCollectionsMarshal.AsImmutableArray(c.Weights.ToRowMajor())); WriteInts(ref w, c.RowExponents);
            w.Write(c.Integrates);
        }
        WriteRef(ref w, s.Driver);
        if (s.Restore is { } restore) WriteSnapshot(ref w, restore); else w.WriteNil();
        w.Write(s.FirstStep); WriteCounters(ref w, s.Counters);
    }

    private CoreSetup ReadSetup(ref MessagePackReader r)
    {
        Fields(ref r, 14);
        int core = r.ReadInt32(), population = r.ReadInt32(), start = r.ReadInt32(), count = r.ReadInt32(), slots = r.ReadInt32();
        bool record = r.ReadBoolean(), output = r.ReadBoolean(), needsStart = r.ReadBoolean();
        int progress = r.ReadInt32();
        var incoming = new IncomingConnection[r.ReadArrayHeader()];
        for (int i = 0; i < incoming.Length; i++)
        {
            Fields(ref r, 9);
            int source = r.ReadInt32(), sourceSize = r.ReadInt32(), sourceCores = r.ReadInt32();
            bool oneStep = r.ReadBoolean();
            double? omega = ReadNullable(ref r);
            int targets = r.ReadInt32();
            var mantissas = ReadInts(ref r);
            if (targets < 0 || mantissas.IsDefault || mantissas.Length != (long)targets * sourceSize)
                throw new SerializationException($"core setup: {mantissas.Length} mantissas for {targets} targets x {sourceSize} sources");
            var block = MantissaBlock.FromRowMajor(targets, sourceSize, mantissas.AsSpan());
            var exponents = ReadInts(ref r);
            incoming[i] = new IncomingConnection(source, sourceSize, sourceCores, oneStep, omega, block, exponents, r.ReadBoolean());
        }
        var driver = ReadRef(ref r);
        var restore = r.TryReadNil() ? null : ReadSnapshot(ref r);
        long firstStep = r.ReadInt64();
        if (firstStep < 0) throw new SerializationException($"core setup: first step {firstStep} is negative");
        var counters = ReadCounters(ref r);
        return new CoreSetup(core, population, start, count, slots, record, output, needsStart, progress, ImmutableCollectionsMarshal.AsImmutableArray(incoming), driver, restore,
            firstStep, counters);
    }

    private static void WritePopulation(ref MessagePackWriter w, Population p)
    {
        w.WriteArrayHeader(8);
        w.Write(p.Name); w.Write(p.Size); w.Write((int)p.Activation); WriteNullable(ref w, p.Omega); WriteDoubles(ref w, p.Bias);
        w.Write((int)p.InitialState); w.Write(p.InitialSeed);
        WriteQuantizer(ref w, p.Quantizer);
    }

    private static Population ReadPopulation(ref MessagePackReader r)
    {
        Fields(ref r, 8);
        return new Population(ReadString(ref r), r.ReadInt32(), (Activation)r.ReadInt32(), ReadNullable(ref r), ReadDoubles(ref r),
            (InitialStateMode)r.ReadInt32(), r.ReadUInt64()) { Quantizer = ReadQuantizer(ref r) };
    }

    // A rule goes as [name, parameter]: the seed (stochastic, dithered), the threshold's bits (send-on-delta), or 0.
    private static void WriteQuantizer(ref MessagePackWriter w, QuantizerRule q)
    {
        w.WriteArrayHeader(2);
        w.Write(q.Name);
        w.Write(q switch
        {
            QuantizerRule.Stochastic s => s.Seed,
            QuantizerRule.Dithered d => d.Seed,
            QuantizerRule.SendOnDelta sd => BitConverter.DoubleToUInt64Bits(sd.Threshold),
            _ => 0UL,
        });
    }

    private static QuantizerRule ReadQuantizer(ref MessagePackReader r)
    {
        Fields(ref r, 2);
        string name = ReadString(ref r);
        ulong parameter = r.ReadUInt64();
        return name switch
        {
            "sigma-delta" => QuantizerRule.Default,
            "rounding" => new QuantizerRule.Rounding(),
            "stochastic" => new QuantizerRule.Stochastic(parameter),
            "dithered" => new QuantizerRule.Dithered(parameter),
            "send-on-delta" => new QuantizerRule.SendOnDelta(BitConverter.UInt64BitsToDouble(parameter)),
            _ => throw new SerializationException($"population: unknown quantizer rule '{name}'"),
        };
    }
}
