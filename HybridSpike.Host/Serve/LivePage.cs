using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HybridSpike.Host.Serve;

/// <summary>
/// The service's live page at <c>/</c> (docs/serve.md, "The live page"): three static files shipped inside this
/// assembly as embedded resources (no build step, nothing fetched from elsewhere), reading the service's own endpoints.
/// </summary>
internal static class LivePage
{
    /// <summary>Each file's address, resource name (the project's LogicalName) and content type.</summary>
    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "HybridSpike.Host.Page.index.html", "text/html; charset=utf-8"),
        ("/live.js", "HybridSpike.Host.Page.live.js", "text/javascript; charset=utf-8"),
        ("/live.css", "HybridSpike.Host.Page.live.css", "text/css; charset=utf-8"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, type) in Files)
        {
            var bytes = Read(resource);
            app.MapGet(path, (HttpContext http) =>
            {
                // A redeployed service may ship another page: the browser asks again each load.
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, type);
            }).ExcludeFromDescription();
        }
    }

    private static byte[] Read(string resource)
    {
        using var stream = typeof(LivePage).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the live page's {resource} is not in the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
