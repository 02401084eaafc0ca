using System.Buffers;
using System.Runtime.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Runtime.Serialization;
using MessagePack;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>The bulk integer arrays write exactly MessagePack's own bytes and read them back, and refuse what is not one.</summary>
public class IntegerArraysTests
{
    /// <summary>Every boundary of MessagePack's integer forms, and values around them.</summary>
    private static readonly long[] Edges =
    [
        0, 1, 31, 32, 33, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue,
        -1, -31, -32, -33, -127, -128, -129, short.MinValue, short.MinValue - 1, int.MinValue, (long)int.MinValue - 1, long.MinValue,
    ];

    private static byte[] ValueByValue(long[] values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(values.Length);
        foreach (var v in values) w.Write(v);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Bulk<T>(T[] values) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        IntegerArrays.Write<T>(ref w, values);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static T[] Read<T>(byte[] bytes) where T : unmanaged, System.Numerics.IBinaryInteger<T>, System.Numerics.IMinMaxValue<T>
    {
        var r = new MessagePackReader(bytes);
        var values = IntegerArrays.Read<T>(ref r);
        Assert.True(r.End, "the reader is past the array");
        return values;
    }

    [Fact]
    public void The_edges_of_every_integer_form_are_written_as_MessagePack_writes_them_and_read_back()
    {
        Assert.Equal(ValueByValue(Edges), Bulk(Edges));
        Assert.Equal(Edges, Read<long>(Bulk(Edges)));
    }

    [Property(MaxTest = 200)]
    public Property Any_longs_are_written_as_MessagePack_writes_them_and_read_back() =>
        // Values drawn from the edges or at random, one in three each way.
        Prop.ForAll(Gen.OneOf(Gen.Elements(Edges), ArbMap.Default.GeneratorFor<long>(), ArbMap.Default.GeneratorFor<int>().Select(v => (long)v)).ArrayOf().ToArbitrary(),
            values =>
            {
                Assert.Equal(ValueByValue(values), Bulk(values));
                Assert.Equal(values, Read<long>(Bulk(values)));
            });

    [Fact]
    public void Ints_are_written_as_their_longs_and_read_back()
    {
        int[] values = [0, -1, 127, -33, int.MaxValue, int.MinValue, 300];
        Assert.Equal(ValueByValue([.. values.Select(v => (long)v)]), Bulk(values));
        Assert.Equal(values, Read<int>(Bulk(values)));
    }

    [Fact]
    public void Reading_stops_at_the_arrays_end_and_leaves_the_next_value()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        IntegerArrays.Write<long>(ref w, [5, 300]);
        w.Write("next");
        w.Flush();
        var r = new MessagePackReader(buffer.WrittenMemory);
        Assert.Equal([5L, 300], IntegerArrays.Read<long>(ref r));
        Assert.Equal("next", r.ReadString());
        Assert.True(r.End);
    }

    [Fact]
    public void A_long_that_does_not_fit_an_int_is_refused_naming_it()
    {
        var e = Assert.Throws<OverflowException>(() => Read<int>(Bulk(new long[] { 1, (long)int.MaxValue + 1 })));
        Assert.Contains("value 1 of an array of integers is 2147483648", e.Message);
    }

    [Fact]
    public void An_unsigned_64_bit_value_above_long_is_refused()
    {
        byte[] bytes = [0x91, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        Assert.Throws<OverflowException>(() => Read<long>(bytes));
    }

    [Fact]
    public void A_value_that_is_not_an_integer_is_refused_naming_its_place()
    {
        var e = Assert.Throws<SerializationException>(() => Read<long>([0x92, 0x01, 0xc0]));
        Assert.Equal("value 1 of an array of integers is not an integer (code 0xc0)", e.Message);
    }

    [Fact]
    public void An_array_cut_inside_a_value_is_refused()
    {
        Assert.Throws<EndOfStreamException>(() => Read<long>([0x92, 0x01, 0xcd, 0x01]));
    }
}
