using Microsoft.Extensions.Hosting;

namespace HybridSpike.Host.Serve;

/// <summary>
/// The service's host lifetime: does nothing. Signals are <c>serve</c>'s own (its CtrlC scope drains the streams, then
/// stops the host); the default console lifetime would take SIGTERM too and stop the application, and the actor system
/// with it, while the streams are still draining.
/// </summary>
internal sealed class ServeLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
