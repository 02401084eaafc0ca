using HybridSpike.Core.Serving;
using MessagePack;

namespace HybridSpike.Core.Tests.Serving;

public sealed class FrameCodecTests
{
    [Fact]
    public void Client_frames_round_trip()
    {
        var push = FrameCodec.ReadClient(FrameCodec.Write(new ClientFrame("push", [0.5, -1e-300, 3])));
        Assert.Equal("push", push.Type);
        Assert.Equal([0.5, -1e-300, 3], push.Values!);
        var close = FrameCodec.ReadClient(FrameCodec.Write(new ClientFrame("close", null)));
        Assert.Equal(new ClientFrame("close", null), close);
    }

    [Fact]
    public void Service_frames_round_trip()
    {
        var output = ServerFrame.Output(783, [1.5, -2], 0);
        var back = FrameCodec.ReadServer(FrameCodec.Write(output));
        Assert.Equal((output.Type, output.Step, output.Prediction, output.Message), (back.Type, back.Step, back.Prediction, back.Message));
        Assert.Equal(output.Outputs!, back.Outputs!);
        Assert.Equal(ServerFrame.Closed("complete"), FrameCodec.ReadServer(FrameCodec.Write(ServerFrame.Closed("complete"))));
    }

    private delegate void Writes(ref MessagePackWriter w);

    private static byte[] Pack(Writes write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static TheoryData<byte[], string> Malformed => new()
    {
        { [0x01], "a Integer, not a map" },
        { Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write(7); w.Write("push"); }), "key 0 is a Integer, not a string" },
        { Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("values"); w.WriteArrayHeader(1); w.Write(1.0); }), "no 'type'" },
        { Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("type"); w.Write("push"); w.Write("values"); w.Write("many"); }), "'values' is a String, not an array" },
        { Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("type"); w.Write("push"); w.Write("values"); w.WriteArrayHeader(1); w.Write("x"); }), "'values'[0] is a String, not a number" },
        { Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("type"); w.Write("push"); w.Write("values"); w.WriteArrayHeader(1 << 20); }), "a length runs past the frame's end" },
        { FrameCodec.Write(new ClientFrame("push", [1, 2, 3]))[..^5], "MessagePack frame" },
        { [.. FrameCodec.Write(new ClientFrame("close", null)), 0xc0], "1 bytes after the map" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_frame_is_refused_naming_what_is_wrong(byte[] bytes, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => FrameCodec.ReadClient(bytes));
        Assert.Contains(message, e.Message);
    }
}
