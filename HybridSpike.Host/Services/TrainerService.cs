using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Services;

/// <summary><c>hybridspike trainer</c>: starts the training service and keeps it up until Ctrl-C or SIGTERM; the running job keeps its checkpoint.</summary>
internal static class TrainerService
{
    /// <summary>Trains until interrupted: exit 0 after SIGTERM (a service manager's stop), 130 after Ctrl-C, as serve.</summary>
    public static async Task<int> RunAsync(TrainerOptions options, bool json, TextWriter output, TextWriter log, CancellationToken cancel)
    {
        using var interrupt = new CtrlC(cancel);
        await using var app = await TrainerApp.StartAsync(options, log, interrupt.Token, jsonLogs: true);
        // With --json, where it listens (the port chosen for port 0) and its folder, for a script that started it.
        if (json) output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { addresses = app.Addresses, jobs = app.Store.Folder }, Core.Serving.StreamClient.Json));
        try { await Task.Delay(Timeout.Infinite, interrupt.Token); }
        catch (OperationCanceledException) { }
        log.WriteLine($"trainer: {interrupt.Signal}: no new jobs; a running one stops at its next batch, saves its checkpoint and resumes when a trainer starts on {app.Store.Folder}");
        await app.StopAsync();
        log.WriteLine("trainer: stopped");
        return interrupt.ExitCode == CtrlC.Terminated ? 0 : CtrlC.Interrupted;
    }
}
