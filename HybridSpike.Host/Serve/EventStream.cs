using System.Text.Json;
using System.Threading.Channels;
using HybridSpike.Actors.Runtime.Session;
using Microsoft.AspNetCore.Http;

namespace HybridSpike.Host.Serve;

/// <summary>
/// A watch's events as server-sent events (text/event-stream): one <c>data: {json}</c> line and a blank line an event,
/// in the service's JSON (camelCase, <see cref="StreamSocket.Json"/>), flushed as each comes, until the watch ends or
/// the client goes away.
/// </summary>
internal static class EventStream
{
    /// <summary>Events a watcher may leave unread before the oldest are dropped: a slow page never slows a stream or grows memory.</summary>
    public const int Capacity = 1024;

    public const string ContentType = "text/event-stream";

    public static async Task WriteAsync<T>(HttpContext http, ChannelReader<T> events, Func<T, object> shape, CancellationToken cancel)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ContentType;
        http.Response.Headers.CacheControl = "no-cache";
        // The headers go now: the watch is in place, so a client holding them misses no event from here on.
        await http.Response.StartAsync(cancel).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancel).ConfigureAwait(false);
        var body = http.Response.Body;
        try
        {
            await foreach (var e in events.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                await body.WriteAsync("data: "u8.ToArray(), cancel).ConfigureAwait(false);
                await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(shape(e), StreamSocket.Json), cancel).ConfigureAwait(false);
                await body.WriteAsync("\n\n"u8.ToArray(), cancel).ConfigureAwait(false);
                await body.FlushAsync(cancel).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (StreamFailedException)
        {
            // The mesh failed: the stream's socket says why; the event stream just ends.
        }
    }
}
