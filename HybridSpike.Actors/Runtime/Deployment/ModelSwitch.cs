using HybridSpike.Actors.Runtime.Session;

namespace HybridSpike.Actors.Runtime.Deployment;

/// <summary>
/// Models side by side: new streams open on the newest deployment (<see cref="Current"/>); when a newer one is
/// switched in, streams already open finish on theirs, and an older deployment stops once its last stream has
/// closed. What a live service builds its switch-over on: no stream is cut off, and no stream ever sees two models.
/// </summary>
public sealed class ModelSwitch : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<(MeshDeployment Deployment, Task Retired)> _retiring = [];
    private MeshDeployment _current;

    public ModelSwitch(MeshDeployment first)
    {
        ArgumentNullException.ThrowIfNull(first);
        _current = first;
    }

    /// <summary>The deployment new streams open on.</summary>
    public MeshDeployment Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>Opens a stream on <see cref="Current"/>; one that raced with a switch opens on the newer model.</summary>
    public async Task<MeshStream> OpenAsync(StreamOptions options, CancellationToken cancel)
    {
        while (true)
        {
            var target = Current;
            try { return await target.OpenAsync(options, cancel).ConfigureAwait(false); }
            catch (DeploymentRetiringException) when (!ReferenceEquals(target, Current)) { }
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the model new streams open on. The previous one takes no new stream, finishes its
    /// open ones and is disposed once idle; the returned task completes then (it faults if that deployment fails).
    /// </summary>
    public Task SwitchTo(MeshDeployment next)
    {
        ArgumentNullException.ThrowIfNull(next);
        MeshDeployment previous;
        lock (_gate)
        {
            if (ReferenceEquals(next, _current)) return Task.CompletedTask;
            previous = _current;
            _current = next;
        }
        var retired = Retire(previous);
        lock (_gate) _retiring.Add((previous, retired));
        return retired;
    }

    private static async Task Retire(MeshDeployment deployment)
    {
        try { await deployment.StopWhenIdleAsync(CancellationToken.None).ConfigureAwait(false); }
        finally { await deployment.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>Stops every deployment, the current one and those still retiring.</summary>
    public async ValueTask DisposeAsync()
    {
        MeshDeployment current;
        (MeshDeployment, Task)[] retiring;
        lock (_gate) { current = _current; retiring = [.. _retiring]; }
        foreach (var (d, _) in retiring) await d.DisposeAsync().ConfigureAwait(false);
        await current.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The deployment is being retired (a newer model serves new streams): it opens no new stream.</summary>
public sealed class DeploymentRetiringException(string message) : InvalidOperationException(message);
