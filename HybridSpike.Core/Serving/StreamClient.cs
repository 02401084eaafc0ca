using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HybridSpike.Core.Serving;

/// <summary>A request the service refused: its HTTP status, its one-line reason, and when to retry (429).</summary>
public sealed class StreamServiceException(HttpStatusCode status, string message, TimeSpan? retryAfter) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>What the service asked to wait before retrying (a full service's 429), if it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// A client of <c>hybridspike serve</c> (docs/serve.md): opens streams over HTTP and drives each over its WebSocket.
/// Task-based, every call cancellable; usable from F# as it stands.
/// </summary>
public sealed class StreamClient : IDisposable
{
    /// <summary>The wire's JSON: camelCase (System.Text.Json's web defaults), as the service writes it.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client of the service at <paramref name="service"/> (for example http://127.0.0.1:5080).</summary>
    public StreamClient(Uri service) : this(service, new HttpClient(), true) { }

    /// <summary>A client of the service at <paramref name="service"/> sending through <paramref name="http"/> (not disposed with this client).</summary>
    public StreamClient(Uri service, HttpClient http) : this(service, http, false) { }

    private StreamClient(Uri service, HttpClient http, bool owns)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(http);
        if (service.Scheme != Uri.UriSchemeHttp) throw new ArgumentException($"the service address {service} is not http://");
        Service = service;
        _http = http;
        _ownsHttp = owns;
    }

    public Uri Service { get; }

    /// <summary>The models the service holds.</summary>
    public async Task<IReadOnlyList<ModelVersionInfo>> ModelsAsync(CancellationToken cancel)
    {
        using var r = await _http.GetAsync(new Uri(Service, "/v2/models"), cancel).ConfigureAwait(false);
        await EnsureSuccess(r, cancel).ConfigureAwait(false);
        return await r.Content.ReadFromJsonAsync<ModelVersionInfo[]>(Json, cancel).ConfigureAwait(false) ?? [];
    }

    /// <summary>
    /// Sends an artifact (an .hsa file's bytes) to the service, which validates and compiles it and switches new
    /// streams to it; open streams finish on theirs. The model now serving; <see cref="StreamServiceException"/> if the
    /// service refuses it (400 a bad artifact, 409 one that does not fit the serving model, 422 one that does not compile).
    /// </summary>
    public async Task<ModelVersionInfo> DeployAsync(ReadOnlyMemory<byte> artifact, CancellationToken cancel)
    {
        using var content = new ReadOnlyMemoryContent(artifact);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var r = await _http.PostAsync(new Uri(Service, "/v2/models"), content, cancel).ConfigureAwait(false);
        await EnsureSuccess(r, cancel).ConfigureAwait(false);
        return await r.Content.ReadFromJsonAsync<ModelVersionInfo>(Json, cancel).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{Service}: POST /v2/models answered no model");
    }

    /// <summary>Returns the service to the model it served before the current one.</summary>
    public async Task<ModelVersionInfo> RollbackAsync(string model, CancellationToken cancel)
    {
        using var r = await _http.PostAsync(new Uri(Service, $"/v2/models/{Uri.EscapeDataString(model)}/rollback"), null, cancel).ConfigureAwait(false);
        await EnsureSuccess(r, cancel).ConfigureAwait(false);
        return await r.Content.ReadFromJsonAsync<ModelVersionInfo>(Json, cancel).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{Service}: rollback answered no model");
    }

    /// <summary>Opens a stream and connects its socket; <see cref="StreamServiceException"/> if the service refuses (429 when full).</summary>
    public async Task<ServiceStream> OpenAsync(OpenStreamRequest request, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        OpenStreamResponse opened;
        using (var r = await _http.PostAsJsonAsync(new Uri(Service, "/v2/streams"), request, Json, cancel).ConfigureAwait(false))
        {
            await EnsureSuccess(r, cancel).ConfigureAwait(false);
            opened = await r.Content.ReadFromJsonAsync<OpenStreamResponse>(Json, cancel).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{Service}: POST /v2/streams answered no stream");
        }
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{Service.Authority}{opened.WebSocket}"), cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ServiceStream(opened, socket);
    }

    /// <summary>A refusal as a <see cref="StreamServiceException"/> with the service's own message (its <see cref="ErrorResponse"/>); shared with <see cref="TrainerClient"/>.</summary>
    internal static async Task EnsureSuccess(HttpResponseMessage r, CancellationToken cancel)
    {
        if (r.IsSuccessStatusCode) return;
        string message;
        try { message = (await r.Content.ReadFromJsonAsync<ErrorResponse>(Json, cancel).ConfigureAwait(false))?.Error ?? r.ReasonPhrase ?? ""; }
        catch (JsonException) { message = r.ReasonPhrase ?? ""; }
        throw new StreamServiceException(r.StatusCode, $"{(int)r.StatusCode} {r.StatusCode}: {message}", r.Headers.RetryAfter?.Delta);
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}

/// <summary>
/// One open stream of the service: push steps in chunks of any size, read its frames (outputs, refusals, the close),
/// close it. Pushes from one caller at a time, reads from one other (the socket is full duplex).
/// </summary>
public sealed class ServiceStream : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    internal ServiceStream(OpenStreamResponse info, ClientWebSocket socket)
    {
        Info = info;
        _socket = socket;
    }

    /// <summary>The stream's id, model, version and widths, as the service opened it.</summary>
    public OpenStreamResponse Info { get; }

    /// <summary>Appends whole steps of <see cref="OpenStreamResponse.InputDimensions"/> values each (a refusal comes back as an <c>error</c> frame).</summary>
    public Task PushAsync(ReadOnlyMemory<double> values, CancellationToken cancel) =>
        Send(new ClientFrame("push", values.ToArray()), cancel);

    /// <summary>Ends the input: the outputs still due follow, then a <c>closed</c> frame.</summary>
    public Task CompleteAsync(CancellationToken cancel) => Send(new ClientFrame("close", null), cancel);

    private bool Binary => Info.Frames == "msgpack";

    private Task Send(ClientFrame frame, CancellationToken cancel) => Binary
        ? _socket.SendAsync(FrameCodec.Write(frame), WebSocketMessageType.Binary, true, cancel)
        : _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, StreamClient.Json), WebSocketMessageType.Text, true, cancel);

    /// <summary>The service's frames in order, up to and with the <c>closed</c> one.</summary>
    public async IAsyncEnumerable<ServerFrame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancel)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            message.SetLength(0);
            ValueWebSocketReceiveResult r;
            do
            {
                r = await _socket.ReceiveAsync(buffer.AsMemory(), cancel).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) yield break;
                message.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            var frame = r.MessageType == WebSocketMessageType.Binary
                ? FrameCodec.ReadServer(message.GetBuffer().AsMemory(0, (int)message.Length))
                : JsonSerializer.Deserialize<ServerFrame>(message.GetBuffer().AsSpan(0, (int)message.Length), StreamClient.Json)
                    ?? throw new InvalidDataException("the service sent a null frame");
            yield return frame;
            if (frame.Type == "closed") yield break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false); }
            catch (WebSocketException) { }
        }
        _socket.Dispose();
    }
}
