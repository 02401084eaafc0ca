using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Serialization;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>Every message that crosses nodes goes through its feature's MessagePack serializer and comes back equal.</summary>
public class WireSerializerTests() : TestKit(TestCluster.Config(), ClusterNodeConfig.SystemName)
{
    private object RoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsAssignableFrom<WireSerializer>(serializer); // one of the feature serializers, never a default one
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        return back;
    }

    internal static CoreSetup Setup(IActorRef driver) => Setup(driver, null);

    internal static CoreSetup Setup(IActorRef driver, CoreSnapshot? restore) => Setup(driver, restore, 0, null);

    internal static CoreSetup Setup(IActorRef driver, CoreSnapshot? restore, long firstStep, CoreCounters? counters) => new(7, 2, 16, 3, 2, true, false, false, 8,
        [new IncomingConnection(-1, 2, 1, false, null, MantissaBlock.FromRowMajor(3, 2, [1, -2, 127, -128, 0, 5]), [-7, -7, -6], false),
         new IncomingConnection(1, 4, 2, true, 3.5, MantissaBlock.FromRowMajor(3, 4, [.. Enumerable.Range(-6, 12)]), [0, 1, 2], true)],
        driver, restore, firstStep, counters);

    internal static CoreCounters Counters => new([0, 3], [-1, 783], [[1, 2], [3, 4], [5, 6], [7, long.MaxValue], [0, 0], [9, 10]]);

    private static void SameCounters(CoreCounters a, CoreCounters? b)
    {
        Assert.NotNull(b);
        Assert.Equal(a.Generations.ToArray(), b.Generations.ToArray());
        Assert.Equal(a.LastLocal.ToArray(), b.LastLocal.ToArray());
        Assert.Equal(a.Traffic.Select(t => t.ToArray()), b.Traffic.Select(t => t.ToArray()));
    }

    internal static readonly StepHeader Header = new(12, [3, 0], [783, 0], [0], [1]);

    internal static CoreSnapshot Snapshot => new(2, [0, 1L << 31, 3, long.MaxValue, 5, 6], [[], [1, -2, 0, 4, 5, -6, 7, 8]], [[9, -10, 11, 0, 0, 12], []]);

    private static void SameHeader(StepHeader a, StepHeader b)
    {
        Assert.Equal(a.Step, b.Step);
        Assert.Equal(a.Slots.ToArray(), b.Slots.ToArray());
        Assert.Equal(a.LocalSteps.ToArray(), b.LocalSteps.ToArray());
        Assert.Equal(a.Resets.ToArray(), b.Resets.ToArray());
        Assert.Equal(a.Reads.ToArray(), b.Reads.ToArray());
    }

    [Fact]
    public void Payloads_inputs_counts_and_outputs_come_back_value_for_value()
    {
        var p = new Payloads(Header, 3, 16, 2, [0, -1, long.MaxValue, long.MinValue]);
        var p2 = (Payloads)RoundTrip(p);
        SameHeader(p.Header, p2.Header);
        Assert.Equal((p.Population, p.Start, p.Count), (p2.Population, p2.Start, p2.Count));
        Assert.Equal(p.Values.ToArray(), p2.Values.ToArray());

        var i = new StepInput(Header, [65536, 0, -3, 4]);
        var i2 = (StepInput)RoundTrip(i);
        SameHeader(i.Header, i2.Header);
        Assert.Equal(i.Values.ToArray(), i2.Values.ToArray());
        SameHeader(Header, ((StepStart)RoundTrip(new StepStart(Header))).Header);

        var c = new CoreCounts(29, 1, 0, 3, [0, -4, int.MaxValue, 1, 2, int.MinValue]);
        var c2 = (CoreCounts)RoundTrip(c);
        Assert.Equal((c.Step, c.Population, c.Start, c.Count), (c2.Step, c2.Population, c2.Start, c2.Count));
        Assert.Equal(c.Values.ToArray(), c2.Values.ToArray());

        // Doubles bit for bit, including the awkward ones.
        var o = new OutputActivity(long.MaxValue, 1, 2, [0.1, -0.0, double.Epsilon, double.NaN, 1e308, -7.25]);
        var o2 = (OutputActivity)RoundTrip(o);
        Assert.Equal((o.Step, o.Start, o.Count), (o2.Step, o2.Start, o2.Count));
        Assert.Equal(o.Values.Select(BitConverter.DoubleToInt64Bits), o2.Values.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Boundary_requests_and_snapshots_come_back_value_for_value()
    {
        Assert.Equal(new TakeSnapshot(-1, false), RoundTrip(new TakeSnapshot(-1, false)));
        Assert.Equal(new TakeSnapshot(7, true), RoundTrip(new TakeSnapshot(7, true)));
        Assert.Equal(new CollectTraffic(99, 784), RoundTrip(new CollectTraffic(99, 784)));
        var taken = (CoreSnapshotTaken)RoundTrip(new CoreSnapshotTaken(5, 1L << 40, Snapshot, null));
        Assert.Equal((5, 1L << 40), (taken.Core, taken.Step));
        Assert.True(Snapshot.SameAs(taken.State));
        Assert.Null(taken.Counters);
        SameCounters(Counters, ((CoreSnapshotTaken)RoundTrip(new CoreSnapshotTaken(5, 9, Snapshot, Counters))).Counters);
    }

    [Fact]
    public void Telemetry_comes_back_with_every_count()
    {
        var t = new CoreTraffic(4, [1_000_000_000_000, 0, 7], [30, 30, 30], [17, 0, 0], [0, 31, 0],
            ImmutableDictionary<int, ImmutableArray<long>>.Empty.Add(5, [0, 20, 0]).Add(0, [13, 0, long.MaxValue]),
            ImmutableDictionary<int, ImmutableArray<long>>.Empty.Add(5, [0, 19, 0]).Add(0, [2, 0, long.MaxValue - 1]));
        var t2 = (CoreTraffic)RoundTrip(t);
        Assert.Equal(t.Core, t2.Core);
        Assert.Equal(t.SynapticEventsPerStep.ToArray(), t2.SynapticEventsPerStep.ToArray());
        Assert.Equal(t.NeuronUpdatesPerStep.ToArray(), t2.NeuronUpdatesPerStep.ToArray());
        Assert.Equal(t.SpikesPerStep.ToArray(), t2.SpikesPerStep.ToArray());
        Assert.Equal(t.PacketsReceivedPerStep.ToArray(), t2.PacketsReceivedPerStep.ToArray());
        Assert.Equal(t.PacketsToPerStep.Keys.Order(), t2.PacketsToPerStep.Keys.Order());
        foreach (var (to, packets) in t.PacketsToPerStep) Assert.Equal(packets.ToArray(), t2.PacketsToPerStep[to].ToArray());
        Assert.Equal(t.PayloadPacketsToPerStep.Keys.Order(), t2.PayloadPacketsToPerStep.Keys.Order());
        foreach (var (to, packets) in t.PayloadPacketsToPerStep) Assert.Equal(packets.ToArray(), t2.PayloadPacketsToPerStep[to].ToArray());
    }

    public static TheoryData<string> Rules => [.. Quantizers.Names];

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_hosted_population_keeps_its_quantizer_rule_and_parameter(string name)
    {
        QuantizerRule rule = name switch
        {
            "rounding" => new QuantizerRule.Rounding(),
            "stochastic" => new QuantizerRule.Stochastic(ulong.MaxValue),
            "dithered" => new QuantizerRule.Dithered(17),
            "send-on-delta" => new QuantizerRule.SendOnDelta(0.375),
            _ => QuantizerRule.Default,
        };
        var population = new Population("p0", 2, Activation.Linear, 2, [], InitialStateMode.Zeros, 0) { Quantizer = rule };
        var h = (HostCore)RoundTrip(new HostCore("run-1", Setup(CreateTestProbe().Ref), population));
        Assert.Equal(rule, h.Population.Quantizer);
    }

    [Fact]
    public void Setup_messages_carry_the_core_its_population_and_actor_refs_resolved_by_path()
    {
        var probe = CreateTestProbe();
        var population = new Population("p0", 19, Activation.Tanh, 3.5, [.. Enumerable.Range(0, 19).Select(i => i / 7.0 - 1)], InitialStateMode.Uniform, 12345678901234567890UL);
        var h = (HostCore)RoundTrip(new HostCore("run-1", Setup(probe.Ref, Snapshot), population));
        Assert.Equal("run-1", h.RunId);
        Assert.Equal(probe.Ref, h.Setup.Driver);
        var expected = Setup(probe.Ref, Snapshot);
        Assert.True(Snapshot.SameAs(h.Setup.Restore!));
        Assert.Equal(expected with { Incoming = [], Restore = null }, h.Setup with { Incoming = [], Restore = null });
        Assert.Null(((HostCore)RoundTrip(new HostCore("run-2", Setup(probe.Ref), population))).Setup.Restore);
        // A core restored at a recovery point: its first step and counters cross too.
        var resumed = ((HostCore)RoundTrip(new HostCore("run-3", Setup(probe.Ref, Snapshot, 1L << 33, Counters), population))).Setup;
        Assert.Equal(1L << 33, resumed.FirstStep);
        SameCounters(Counters, resumed.Counters);
        Assert.Null(h.Setup.Counters);
        Assert.Equal(expected.Incoming.Length, h.Setup.Incoming.Length);
        for (int k = 0; k < expected.Incoming.Length; k++)
        {
            var (a, b) = (expected.Incoming[k], h.Setup.Incoming[k]);
            Assert.Equal((a.Source, a.SourceSize, a.SourceCores, a.OneStep, a.SourceOmega, a.Integrates), (b.Source, b.SourceSize, b.SourceCores, b.OneStep, b.SourceOmega, b.Integrates));
            Assert.Equal(a.Weights.ToRowMajor(), b.Weights.ToRowMajor());
            Assert.Equal(a.RowExponents.ToArray(), b.RowExponents.ToArray());
        }
        Assert.Equal(population with { Bias = [] }, h.Population with { Bias = [] });
        Assert.Equal(population.Bias.ToArray(), h.Population.Bias.ToArray());
        Assert.Equal(population.InitialStates(), h.Population.InitialStates());

        // A population without biases keeps its unset (default) bias array.
        var bare = (HostCore)RoundTrip(new HostCore("r", Setup(probe.Ref), new Population("out", 3, Activation.Linear, null, default, InitialStateMode.Zeros, 0)));
        Assert.True(bare.Population.Bias.IsDefault);
        Assert.Null(bare.Population.Omega);

        var hosted = (CoreHosted)RoundTrip(new CoreHosted("r", 3, probe.Ref));
        Assert.Equal((3, probe.Ref), (hosted.Core, hosted.CoreRef));

        var other = CreateTestProbe();
        var wire = (Wire)RoundTrip(new Wire([probe.Ref, other.Ref], [4, 9], null));
        Assert.Equal(new[] { probe.Ref, other.Ref }, wire.Destinations.ToArray());
        Assert.Equal(new[] { 4, 9 }, wire.DestinationCores.ToArray());

        var wc = (WireCores)RoundTrip(new WireCores("r", [1, 2], [new Wire([probe.Ref], [0], null), new Wire([], [], null)]));
        Assert.Equal(new[] { 1, 2 }, wc.Cores.ToArray());
        Assert.Equal(probe.Ref, Assert.Single(wc.Wires[0].Destinations));
        Assert.Empty(wc.Wires[1].Destinations);

        Assert.Equal(new CoresWired("r"), RoundTrip(new CoresWired("r")));
        Assert.Equal(new CoreFailed("r", "akka.tcp://hybridspike@127.0.0.1:1", "boom"), RoundTrip(new CoreFailed("r", "akka.tcp://hybridspike@127.0.0.1:1", "boom")));
        Assert.Equal(new EndRun("r"), RoundTrip(new EndRun("r")));
        Assert.Equal(new Progress(3, 64), RoundTrip(new Progress(3, 64)));
    }

    [Fact]
    public void Spike_tap_messages_come_back_with_their_watcher_and_counts()
    {
        var watcher = CreateTestProbe();
        var on = (TapOn)RoundTrip(new TapOn(7, 3, 2, 783, watcher.Ref));
        Assert.Equal(new TapOn(7, 3, 2, 783, watcher.Ref), on);
        Assert.Equal(new TapOff(7), RoundTrip(new TapOff(7)));
        Assert.Equal(new TapReady(7, 4, long.MaxValue), RoundTrip(new TapReady(7, 4, long.MaxValue)));
        var counts = (TapCounts)RoundTrip(new TapCounts(7, 1L << 40, 16, 3, [0, -2, int.MaxValue]));
        Assert.Equal((7L, 1L << 40, 16, 3), (counts.Tap, counts.Step, counts.Start, counts.Count));
        Assert.Equal([0, -2, int.MaxValue], counts.Values.ToArray());
    }

    // On a 3x3 torus: key 0x10 leaves chip 0 east (link 0) and is delivered on chip 1 to its core 0.
    internal static readonly HybridSpike.Mapping.Routing.Tables.TableImage Image = new(3, 3, [0, 1], [0, 1, 2], [0x10, 0x10], [~0xFu, ~0xFu], [1, 0], [0, 0, 0, 0, 1, 0, 0, 0]);

    [Fact]
    public void A_wire_keeps_the_cores_table_lookup()
    {
        var probe = CreateTestProbe();
        var lookup = new HybridSpike.Mapping.Routing.Tables.PacketLookup(Image, 0x10, 0, [1], [0]);
        var back = ((Wire)RoundTrip(new Wire([probe.Ref], [4], lookup))).Lookup!;
        Assert.Equal(Image.Keys.ToArray(), back.Tables.Keys.ToArray());
        Assert.Equal(Image.Cores.ToArray(), back.Tables.Cores.ToArray());
        var slots = new int[1];
        Assert.Equal(1, back.Route(slots));
    }

    [Fact]
    public void A_lookup_whose_tables_do_not_add_up_is_refused()
    {
        var probe = CreateTestProbe();
        var broken = new HybridSpike.Mapping.Routing.Tables.PacketLookup(Image with { Masks = [~0xFu] }, 0x10, 0, [1], [0]);
        var message = new Wire([probe.Ref], [4], broken);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => Sys.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message)));
        Assert.Contains("lookup: 2 keys but 1 masks", e.ToString());
    }

    [Fact]
    public void Tap_counts_whose_values_do_not_match_their_units_are_refused()
    {
        var serializer = (RuntimeSerializer)Sys.Serialization.FindSerializerFor(new TapOff(1));
        var bytes = serializer.ToBinary(new TapCounts(7, 5, 0, 4, [1, 2, 3]));
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "TC"));
        Assert.Contains("tap counts of step 5: 3 values for 4 units", e.Message);
    }

    [Fact]
    public async Task A_ref_serialized_on_one_node_resolves_on_another_to_the_same_actor()
    {
        var other = ActorSystem.Create(ClusterNodeConfig.SystemName, TestCluster.Config());
        try
        {
            var probe = CreateTestProbe();
            var message = new CoreHosted("r", 1, probe.Ref);
            var serializer = Sys.Serialization.FindSerializerFor(message);
            var bytes = serializer.ToBinary(message);
            var there = (CoreHosted)other.Serialization.Deserialize(bytes, serializer.Identifier, "HC");
            Assert.Equal(probe.Ref.Path.ToStringWithAddress(ClusterMesh.SelfAddress(Sys)), there.CoreRef.Path.ToString());
            there.CoreRef.Tell("hello from the other node");
            probe.ExpectMsg("hello from the other node", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await other.Terminate();
        }
    }

    [Fact]
    public void Corrupt_bytes_are_refused_naming_the_message()
    {
        var serializer = Assert.IsType<RuntimeSerializer>(Sys.Serialization.FindSerializerFor(new Payloads(Header, 2, 3, 1, [5, 6])));
        var bytes = serializer.ToBinary(new Payloads(Header, 2, 3, 1, [5, 6]));
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..^1], "P"));
        Assert.Contains("'P'", e.Message);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "nope"));
    }
}
