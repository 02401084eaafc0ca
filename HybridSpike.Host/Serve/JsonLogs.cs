using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace HybridSpike.Host.Serve;

/// <summary>
/// The logs of the CLI's web services (serve, trainer): one JSON object a line, every level to stderr, so that stdout
/// stays clean for whatever a caller pipes. ASP.NET Core's per-request lines are left out (warnings only); the
/// service's own events (its logger category) are information. Kept apart from the services (no mesh or
/// training types here), so that each can use it without loading the other's.
/// </summary>
internal static class JsonLogs
{
    public static void Use(WebApplicationBuilder builder, string category)
    {
        builder.Logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter(category, LogLevel.Information);
    }
}
