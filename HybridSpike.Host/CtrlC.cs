using System.Runtime.InteropServices;

namespace HybridSpike.Host;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM as cancellation: while a scope is open, either cancels its token instead of
/// ending the process, so that the command can save or say what it kept and exit with <see cref="ExitCode"/>
/// (130 after Ctrl-C, 143 after SIGTERM, the shell's 128 + signal).
/// </summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly ConsoleCancelEventHandler _handler;
    private readonly PosixSignalRegistration _term;
    private volatile int _exitCode = Interrupted;

    /// <summary>The exit code of a command interrupted by Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a command ended by SIGTERM.</summary>
    public const int Terminated = 143;

    /// <summary>What an interrupted command that writes only its report says it kept.</summary>
    public const string NothingWritten = "nothing was written";

    public CtrlC(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _handler = (_, e) => { e.Cancel = true; _source.Cancel(); };
        Console.CancelKeyPress += _handler;
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; _exitCode = Terminated; _source.Cancel(); });
    }

    /// <summary>Cancelled by Ctrl-C, SIGTERM or the outer token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>What an interrupted command exits with: 143 if SIGTERM ended it, 130 otherwise.</summary>
    public int ExitCode => _exitCode;

    /// <summary>The signal that interrupted the scope, for messages.</summary>
    public string Signal => _exitCode == Terminated ? "SIGTERM" : "Ctrl-C";

    /// <summary>
    /// Runs <paramref name="work"/> in a scope of its own. Interrupted, it says so on <paramref name="error"/> with what
    /// <paramref name="kept"/> says of the outputs ("nothing was written") and returns 130 or 143, instead of dying silently.
    /// </summary>
    public static async Task<int> RunAsync(string command, string kept, TextWriter error, CancellationToken outer, Func<CancellationToken, Task<int>> work)
    {
        using var scope = new CtrlC(outer);
        try
        {
            return await work(scope.Token);
        }
        catch (OperationCanceledException) when (scope.Token.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            error.WriteLine($"{command}: interrupted by {scope.Signal}; {kept}");
            return scope.ExitCode;
        }
    }

    /// <summary>The line a long command says on stderr once its work starts, so that a silent minute is not taken for a hang.</summary>
    internal static string Started(string command, int sequences, string dataset) =>
        $"{command}: {sequences:N0} test sequences of {dataset}; Ctrl-C stops";

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _term.Dispose();
        _source.Dispose();
    }
}
