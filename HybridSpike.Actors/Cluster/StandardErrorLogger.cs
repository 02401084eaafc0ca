using Akka.Event;

namespace HybridSpike.Actors.Cluster;

/// <summary>
/// Akka's log on stderr, one line an event. Akka's own minimal logger writes to stdout, so a cluster run's warnings
/// (a seed it cannot reach, a node gated) ended up in the middle of <c>--json</c> output; stdout is for results only.
/// reference.conf (and the Host's local mesh config) name this class as <c>akka.stdout-logger-class</c>, which is
/// what Akka logs through at startup and shutdown and what its default logger prints with in between.
/// </summary>
public sealed class StandardErrorLogger : MinimalLogger
{
    /// <summary>The HOCON line that routes an actor system's log here.</summary>
    public const string Hocon = "akka.stdout-logger-class = \"HybridSpike.Actors.Cluster.StandardErrorLogger, HybridSpike.Actors\"";

    protected override void Log(object message)
    {
        if (message is not LogEvent e)
        {
            Console.Error.WriteLine(message);
            return;
        }
        if (!Filter.ShouldTryKeepMessage(e, out _)) return;
        // The first line and the innermost cause's message, not stack traces (Akka puts some in the message itself):
        // the command says what failed in its own one error line, and this stays readable beside it.
        var text = FirstLine(e.Message?.ToString() ?? "");
        var cause = e.Cause is { } c ? $" ({FirstLine(Innermost(c).Message)})" : "";
        Console.Error.WriteLine($"[{Level(e.LogLevel())}][{e.LogSource}] {text}{cause}");
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.DebugLevel => "DEBUG",
        LogLevel.InfoLevel => "INFO",
        LogLevel.WarningLevel => "WARNING",
        _ => "ERROR",
    };

    private static string FirstLine(string text) => text.IndexOfAny(['\r', '\n']) is var end and >= 0 ? text[..end] : text;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
