using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Serialization;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>
/// Bytes from another machine are untrusted: for every message type of both wire serializers, a truncated,
/// malformed or oversized frame is refused with a <see cref="SerializationException"/> naming the message, and never
/// with another exception, a huge allocation or a deep recursion.
/// </summary>
public class WireFuzzTests() : TestKit(TestCluster.Config(), ClusterNodeConfig.SystemName)
{
    /// <summary>One message of each type the two serializers know, by manifest.</summary>
    private ImmutableDictionary<string, object> Samples()
    {
        var probe = CreateTestProbe().Ref;
        var population = new Population("p0", 3, Activation.Tanh, 3.5, [0.5, -1, 0], InitialStateMode.Uniform, 99);
        var lookup = new HybridSpike.Mapping.Routing.Tables.PacketLookup(WireSerializerTests.Image, 0x10, 0, [1], [0]);
        object[] messages =
        [
            new Payloads(WireSerializerTests.Header, 2, 3, 2, [5, -6]),
            new StepInput(WireSerializerTests.Header, [1, 2, 3]),
            new StepStart(WireSerializerTests.Header),
            new TakeSnapshot(7, true),
            new CoreSnapshotTaken(5, 9, WireSerializerTests.Snapshot, WireSerializerTests.Counters),
            new CollectTraffic(99, 784),
            new Wire([probe], [4], lookup),
            new CoreTraffic(4, [1, 0], [3, 3], [1, 0], [0, 3],
                ImmutableDictionary<int, ImmutableArray<long>>.Empty.Add(5, [0, 2]).Add(0, [1, 0]),
                ImmutableDictionary<int, ImmutableArray<long>>.Empty.Add(5, [0, 1])),
            new CoreCounts(3, 1, 0, 3, [1, 0, 2]),
            new OutputActivity(3, 0, 2, [0.25, -1]),
            new Progress(3, 64),
            new TapOn(7, 3, 2, 783, probe),
            new TapOff(7),
            new TapReady(7, 4, 12),
            new TapCounts(7, 40, 16, 3, [0, -2, 5]),
            new HostCore("run-1", WireSerializerTests.Setup(probe, WireSerializerTests.Snapshot, 4, WireSerializerTests.Counters), population),
            new CoreHosted("r", 3, probe),
            new WireCores("r", [1, 2], [new Wire([probe], [0], null), new Wire([], [], null)]),
            new CoresWired("r"),
            new CoreFailed("r", "akka.tcp://hybridspike@127.0.0.1:1", "boom"),
            new EndRun("r"),
        ];
        return messages.ToImmutableDictionary(m => Manifest(m), m => m);
    }

    private WireSerializer SerializerOf(object message) => Assert.IsAssignableFrom<WireSerializer>(Sys.Serialization.FindSerializerFor(message));

    private string Manifest(object message) => Akka.Serialization.Serialization.ManifestFor(SerializerOf(message), message);

    private static readonly string[] ManifestNames = ["P", "I", "S", "TS", "ST", "CT", "W", "T", "C", "O", "PG", "TN", "TF", "TR", "TC", "H", "HC", "WC", "CW", "F", "E"];

    public static TheoryData<string> Manifests => new(ManifestNames);

    [Fact]
    public void The_list_covers_every_message_either_serializer_knows()
    {
        // Every type bound to a wire serializer in reference.conf has a sample here (so a new one cannot skip these tests).
        var bound = ClusterNodeConfig.ReferenceConfig.GetConfig("akka.actor.serialization-bindings").AsEnumerable()
            .Where(kv => kv.Value.GetString().StartsWith("hybridspike-", StringComparison.Ordinal))
            .Select(kv => Type.GetType(kv.Key.Trim('"'), throwOnError: true)!.Name).Order().ToArray();
        Assert.Equal(bound, Samples().Values.Select(m => m.GetType().Name).Order());
        Assert.Equal(ManifestNames.Order(), Samples().Keys.Order());
    }

    /// <summary>What reading <paramref name="bytes"/> as <paramref name="manifest"/> did: the message, or the exception.</summary>
    private static Exception? Failure(WireSerializer serializer, byte[] bytes, string manifest)
    {
        try
        {
            _ = serializer.FromBinary(bytes, manifest);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Every_truncation_of_a_frame_is_refused_naming_the_message(string manifest)
    {
        var message = Samples()[manifest];
        var serializer = SerializerOf(message);
        var bytes = serializer.ToBinary(message);
        Assert.NotNull(serializer.FromBinary(bytes, manifest));
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Failure(serializer, bytes[..length], manifest);
            var refused = Assert.IsType<SerializationException>(e);
            Assert.Contains($"'{manifest}'", refused.Message);
        }
    }

    /// <summary>
    /// Bytes that make a frame malformed where they stand: never used (0xc1), an extension (0xd4, where type names
    /// would travel), 32-bit array, map, string and binary headers whose lengths are then the next bytes (huge), a
    /// negative fixint, a flipped bit.
    /// </summary>
    private static readonly byte[] Replacements = [0xc1, 0xd4, 0xdd, 0xdf, 0xdb, 0xc6, 0xff];

    [Theory]
    [MemberData(nameof(Manifests))]
    public void A_malformed_byte_anywhere_is_read_or_refused_and_never_throws_anything_else(string manifest)
    {
        var message = Samples()[manifest];
        var serializer = SerializerOf(message);
        var bytes = serializer.ToBinary(message);
        var others = new List<string>();
        for (int at = 0; at < bytes.Length; at++)
        {
            foreach (var b in Replacements.Append((byte)(bytes[at] ^ 0x01)))
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[at] = b;
                if (Failure(serializer, corrupt, manifest) is { } e and not SerializationException)
                    others.Add($"byte {at} = 0x{b:x2}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.Empty(others);
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void A_frame_claiming_more_elements_than_it_holds_is_refused_without_allocating_them(string manifest)
    {
        var serializer = SerializerOf(Samples()[manifest]);
        // An array header of 2^31 - 1 elements and nothing after it: an eager reader would allocate gigabytes.
        byte[] claim = [0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.IsType<SerializationException>(Failure(serializer, claim, manifest));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains($"'{manifest}'", e.Message);
        Assert.True(allocated < 1 << 20, $"refusing the frame allocated {allocated} bytes");
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void A_frame_with_bytes_after_its_message_is_refused(string manifest)
    {
        var message = Samples()[manifest];
        var serializer = SerializerOf(message);
        var e = Assert.IsType<SerializationException>(Failure(serializer, [.. serializer.ToBinary(message), 0x00], manifest));
        Assert.Contains("1 bytes after", e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_MessagePack_allows_for_untrusted_data_is_refused_before_it_is_read()
    {
        var serializer = SerializerOf(new TapOff(1));
        var deep = Enumerable.Repeat((byte)0x91, WireSerializer.Security.MaximumObjectGraphDepth + 10).Append((byte)0x00).ToArray();
        var e = Assert.IsType<SerializationException>(Failure(serializer, deep, "TF"));
        Assert.Contains("'TF'", e.Message);
    }

    /// <summary>[array32 of <paramref name="count"/> values], each a one-byte integer, <paramref name="present"/> of them there.</summary>
    private static byte[] SmallIntegers(int count, int present)
    {
        var bytes = new byte[5 + present];
        bytes[0] = 0xdd;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), count);
        for (int i = 0; i < present; i++) bytes[5 + i] = (byte)(i % 2 == 0 ? i % 128 : 0xe0 + i % 32);
        return bytes;
    }

    [Fact]
    public void A_long_run_of_small_integers_is_vetted_whole()
    {
        WireSerializer.Vet(SmallIntegers(5000, 5000));
        Assert.Throws<EndOfStreamException>(() => WireSerializer.Vet(SmallIntegers(5000, 4999)));
        var trailing = Assert.Throws<SerializationException>(() => WireSerializer.Vet([.. SmallIntegers(5000, 5000), 0x01]));
        Assert.Equal("1 bytes after the message", trailing.Message);
    }

    [Theory]
    [InlineData(0xc1, "is not a MessagePack value")]
    [InlineData(0xd4, "an extension value")]
    public void A_bad_byte_deep_in_a_run_of_small_integers_is_found(byte bad, string expected)
    {
        var bytes = SmallIntegers(5000, 5000);
        bytes[5 + 3001] = bad;
        var e = Assert.IsType<SerializationException>(Record.Exception(() => WireSerializer.Vet(bytes)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_wider_integer_inside_a_run_is_read_past_and_the_run_goes_on()
    {
        // 0xcd 0x01 0x00 (uint16 256) in the middle of one-byte values: still one value, and the count still holds.
        var bytes = SmallIntegers(5000, 5002);
        bytes[5 + 2000] = 0xcd;
        bytes[5 + 2001] = 0x01;
        bytes[5 + 2002] = 0x00;
        WireSerializer.Vet(bytes);
    }

    [Fact]
    public void An_extension_value_is_refused_whatever_the_manifest()
    {
        var serializer = SerializerOf(new TapOff(1));
        // [ext type 100 holding one byte]: the shape a type name or a typeless object would take.
        var e = Assert.IsType<SerializationException>(Failure(serializer, [0x91, 0xd4, 100, 0x01], "TF"));
        Assert.Contains("extension value (type code 100)", e.Message);
    }

    [Fact]
    public void A_manifest_of_no_message_is_refused_by_name()
    {
        var serializer = SerializerOf(new TapOff(1));
        var e = Assert.IsType<SerializationException>(Failure(serializer, [0x91, 0x01], "System.Diagnostics.Process"));
        Assert.Contains("unknown manifest 'System.Diagnostics.Process'", e.Message);
    }
}
