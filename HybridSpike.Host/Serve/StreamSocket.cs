using HybridSpike.Core.Serving;
using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using HybridSpike.Actors.Runtime.Session;
using Microsoft.Extensions.Logging;

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

    /// <summary>How long the service waits for a client to answer its close.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The wire's JSON: camelCase, and quotes left as they are in messages (they are read by people too).</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task RunAsync(WebSocket socket, HubStream hub, ServeMetrics metrics, ILogger log, CancellationToken stopping)
    {
        var pushes = new PushTimes();
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

        var outputs = PumpOutputs(hub, Send, pushes, metrics);
        try
        {
            await ReceiveAsync(socket, hub, Send, pushes, metrics, stopping).ConfigureAwait(false);
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
        log.LogInformation("stream {StreamId} closed on {Model} version {Version}: {Reason}", hub.Id, hub.Model.Name, hub.Model.Version, reason);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            // Bounded: a client that stopped reading after the closed frame never answers the close, and would hold
            // the socket (and a graceful stop) until the host gave up on it.
            using var closing = new CancellationTokenSource(CloseTimeout);
            try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, reason.Length > 100 ? reason[..100] : reason, closing.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
    }

    /// <summary>Sends every output as it comes; returns the reason the stream ended.</summary>
    private static async Task<string> PumpOutputs(HubStream hub, Func<ServerFrame, Task> send, PushTimes pushes, ServeMetrics metrics)
    {
        try
        {
            await foreach (var o in hub.Stream.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                Volatile.Write(ref hub.LastActiveTicks, Environment.TickCount64);
                hub.Published(o);
                await send(ServerFrame.Output(o.Step, [.. o.Activity], o.Argmax)).ConfigureAwait(false);
                if (pushes.PushedAt(o.Step) is { } at) metrics.Latency.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(at).TotalSeconds);
            }
            return "complete: every output was sent";
        }
        catch (StreamFailedException e)
        {
            return $"failed: {e.Message}";
        }
        finally
        {
            hub.OutputsEnded();
        }
    }

    /// <summary>The mesh names a stream by its number in its deployment; the client knows it by the service's id.</summary>
    private static string Named(HubStream hub, string message) =>
        message.StartsWith($"stream {hub.Stream.Id}:", StringComparison.Ordinal) ? $"stream {hub.Id}:{message[$"stream {hub.Stream.Id}:".Length..]}" : message;

    private static async Task ReceiveAsync(WebSocket socket, HubStream hub, Func<ServerFrame, Task> send, PushTimes pushes, ServeMetrics metrics, CancellationToken stopping)
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
                    // Noted before the push: the mesh may answer a step before a waiting push returns.
                    int steps = values.Length / hub.Stream.Dimensions;
                    bool noted = values.Length % hub.Stream.Dimensions == 0 && pushes.Note(steps, hub.Stream.Options.Reads);
                    try
                    {
                        await hub.Stream.PushAsync(values, stopping).ConfigureAwait(false);
                        pushes.Taken(steps);
                        metrics.Steps.Inc(steps);
                    }
                    catch (Exception e) when (e is ArgumentException or StreamFullException or InvalidOperationException)
                    {
                        // A refused chunk writes no step: its note goes.
                        if (noted) pushes.Forget();
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

    /// <summary>
    /// When each pushed chunk that holds a read step arrived, for the latency histogram: the receive loop notes chunks,
    /// the output loop looks its steps up and drops the chunks it has passed. Chunks without a read step are not noted,
    /// so nothing piles up on a stream that reads rarely.
    /// </summary>
    private sealed class PushTimes
    {
        private readonly LinkedList<(long First, long Last, long At)> _chunks = new();
        private long _next;

        /// <summary>Notes the next chunk of <paramref name="steps"/> steps if it holds a read step; whether it did.</summary>
        public bool Note(int steps, OutputReads reads)
        {
            if (steps <= 0) return false;
            long first = Volatile.Read(ref _next), last = first + steps - 1;
            bool read = false;
            for (long s = first; s <= last && !read; s++) read = reads.IsRead(s);
            if (!read) return false;
            lock (_chunks) _chunks.AddLast((first, last, System.Diagnostics.Stopwatch.GetTimestamp()));
            return true;
        }

        public void Taken(int steps) => Volatile.Write(ref _next, _next + steps);

        public void Forget()
        {
            lock (_chunks) _chunks.RemoveLast();
        }

        /// <summary>The timestamp of the push that carried <paramref name="step"/>, if noted.</summary>
        public long? PushedAt(long step)
        {
            lock (_chunks)
            {
                while (_chunks.First is { } head && head.Value.Last < step) _chunks.RemoveFirst();
                return _chunks.First is { } h && h.Value.First <= step ? h.Value.At : null;
            }
        }
    }
}
