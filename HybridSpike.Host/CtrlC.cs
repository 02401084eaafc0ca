namespace HybridSpike.Host;

/// <summary>
/// Ctrl-C as cancellation: while a scope is open, Ctrl-C cancels its token instead of ending the
/// process, so that the command can save or say what it kept and exit with 130.
/// </summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly ConsoleCancelEventHandler _handler;

    public CtrlC(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _handler = (_, e) => { e.Cancel = true; _source.Cancel(); };
        Console.CancelKeyPress += _handler;
    }

    /// <summary>Cancelled by Ctrl-C or by the outer token.</summary>
    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _source.Dispose();
    }
}
