using HybridSpike.Host.Serve;

namespace HybridSpike.Host.Services;

/// <summary><c>hybridspike serve</c>: starts the service and keeps it up until Ctrl-C or SIGTERM, then stops it gracefully.</summary>
internal static class ServeService
{
    /// <summary>How long open streams get to finish after Ctrl-C or SIGTERM before their input is ended.</summary>
    internal static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(10);

    /// <summary>Serves until interrupted: exit 0 after SIGTERM (a service manager's stop), 130 after Ctrl-C.</summary>
    public static async Task<int> RunAsync(ServeOptions options, TextWriter log, CancellationToken cancel)
    {
        using var interrupt = new CtrlC(cancel);
        await using var app = await ServeApp.StartAsync(options, log, interrupt.Token, jsonLogs: true);
        try { await Task.Delay(Timeout.Infinite, interrupt.Token); }
        catch (OperationCanceledException) { }
        app.Hub.StopOpening();
        log.WriteLine($"serve: {interrupt.Signal}: no new streams; the {app.Hub.OpenStreams} open ones get {DrainDeadline.TotalSeconds:0} s to finish");
        await app.StopAsync(DrainDeadline);
        log.WriteLine("serve: stopped");
        return interrupt.ExitCode == CtrlC.Terminated ? 0 : CtrlC.Interrupted;
    }
}
