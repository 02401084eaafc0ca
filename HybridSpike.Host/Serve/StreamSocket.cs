using HybridSpike.Core.Serving;
using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using HybridSpike.Actors.Runtime.Session;

namespace HybridSpike.Host.Serve;

/// <summary>
/// One stream's WebSocket: client frames in (pushes, close), the stream's outputs out, one JSON object a text message.
/// Two loops over one socket: the receive loop pushes, the output loop sends; a send lock keeps their frames whole.
/// A bad frame gets an <c>error</c> frame and the stream goes on; a socket that goes away ends the stream's input.
/// </summary>
internal static class StreamSocket
{
    /// <summary>The largest client frame: 4 MiB of JSON holds well over 100,000 values.</summary>
    public const int MaxFrameBytes = 4 << 20;

    /// <summary>The wire's JSON: camelCase, and quotes left as they are in messages (they are read by people too).</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task RunAsync(WebSocket socket, HubStream hub, CancellationToken stopping)
    {
        using var sendLock = new SemaphoreSlim(1, 1);
        async Task Send(ServerFrame frame)
        {
            bool binary = hub.Frames == FrameEncoding.MessagePack;
            var bytes = binary ? FrameCodec.Write(frame) : JsonSerializer.SerializeToUtf8Bytes(frame, Json);
            await sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (socket.State == WebSocketState.Open)
                    await socket.SendAsync(bytes, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            }
            finally { sendLock.Release(); }
        }

        var outputs = PumpOutputs(hub, Send);
        try
        {
            await ReceiveAsync(socket, hub, Send, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or StreamFailedException)
        {
            // The client went away or the service is stopping: the stream ends with the input it has.
        }
        finally
        {
            hub.Stream.Complete();
        }
        var reason = await outputs.ConfigureAwait(false);
        await Send(ServerFrame.Closed(reason)).ConfigureAwait(false);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, reason.Length > 100 ? reason[..100] : reason, CancellationToken.None).ConfigureAwait(false); }
            catch (WebSocketException) { }
        }
    }

    /// <summary>Sends every output as it comes; returns the reason the stream ended.</summary>
    private static async Task<string> PumpOutputs(HubStream hub, Func<ServerFrame, Task> send)
    {
        try
        {
            await foreach (var o in hub.Stream.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                Volatile.Write(ref hub.LastActiveTicks, Environment.TickCount64);
                await send(ServerFrame.Output(o.Step, [.. o.Activity], o.Argmax)).ConfigureAwait(false);
            }
            return "complete: every output was sent";
        }
        catch (StreamFailedException e)
        {
            return $"failed: {e.Message}";
        }
    }

    /// <summary>The mesh names a stream by its number in its deployment; the client knows it by the service's id.</summary>
    private static string Named(HubStream hub, string message) =>
        message.StartsWith($"stream {hub.Stream.Id}:", StringComparison.Ordinal) ? $"stream {hub.Id}:{message[$"stream {hub.Stream.Id}:".Length..]}" : message;

    private static async Task ReceiveAsync(WebSocket socket, HubStream hub, Func<ServerFrame, Task> send, CancellationToken stopping)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        while (true)
        {
            buffer.Clear();
            ValueWebSocketReceiveResult r;
            bool tooBig = false;
            do
            {
                r = await socket.ReceiveAsync(buffer.GetMemory(64 * 1024), stopping).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) return;
                if (!tooBig) buffer.Advance(r.Count);
                if (buffer.WrittenCount > MaxFrameBytes) { tooBig = true; buffer.Clear(); }
            } while (!r.EndOfMessage);
            Volatile.Write(ref hub.LastActiveTicks, Environment.TickCount64);
            if (tooBig) { await send(ServerFrame.Error($"a frame over {MaxFrameBytes:N0} bytes was refused: push smaller chunks")).ConfigureAwait(false); continue; }
            // Text messages are JSON frames, binary ones MessagePack (FrameCodec), whatever the stream's own encoding.
            ClientFrame? frame;
            try
            {
                frame = r.MessageType == WebSocketMessageType.Binary
                    ? FrameCodec.ReadClient(buffer.WrittenMemory)
                    : JsonSerializer.Deserialize<ClientFrame>(buffer.WrittenSpan, Json);
            }
            catch (JsonException e) { await send(ServerFrame.Error($"malformed JSON frame: {e.Message}")).ConfigureAwait(false); continue; }
            catch (InvalidDataException e) { await send(ServerFrame.Error($"malformed {e.Message}")).ConfigureAwait(false); continue; }
            switch (frame?.Type)
            {
                case "push" when frame.Values is { } values:
                    try { await hub.Stream.PushAsync(values, stopping).ConfigureAwait(false); }
                    catch (Exception e) when (e is ArgumentException or StreamFullException or InvalidOperationException)
                    {
                        await send(ServerFrame.Error(Named(hub, e.Message))).ConfigureAwait(false);
                    }
                    break;
                case "push":
                    await send(ServerFrame.Error("a push frame needs 'values', the steps' inputs flattened")).ConfigureAwait(false);
                    break;
                case "close":
                    hub.Stream.Complete();
                    return;
                default:
                    await send(ServerFrame.Error($"unknown frame type '{frame?.Type}': the types are push, close")).ConfigureAwait(false);
                    break;
            }
        }
    }
}
