using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HybridSpike.Host.Tests;

/// <summary>
/// The built hybridspike in a process of its own, its stderr read line by line so that a test can wait for one.
/// Started through env --default-signal=INT: a child of a runner that ignores SIGINT (a background job) would
/// ignore it too, and a Ctrl-C test would wait in vain. Disposing kills it if it still runs (only it, by its id).
/// </summary>
internal sealed class RunningProcess : IDisposable
{
    private readonly System.Text.StringBuilder _err = new(), _out = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiting = [];

    public Process Process { get; }

    private RunningProcess(Process process) => Process = process;

    public string Error { get { lock (_err) return _err.ToString(); } }

    public string Output { get { lock (_out) return _out.ToString(); } }

    public static RunningProcess Start(params string[] args) => Start(null, args);

    /// <summary>As <see cref="Start(string[])"/>, with <paramref name="env"/> added to its environment.</summary>
    public static RunningProcess Start(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--default-signal=INT", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "hybridspike.dll") })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        var running = new RunningProcess(Process.Start(start)!);
        running.Process.ErrorDataReceived += (_, e) => running.OnError(e.Data);
        running.Process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (running._out) running._out.AppendLine(line); };
        running.Process.BeginErrorReadLine();
        running.Process.BeginOutputReadLine();
        return running;
    }

    private void OnError(string? line)
    {
        lock (_err)
        {
            if (line is null)
            {
                foreach (var (_, seen) in _waiting) seen.TrySetException(new InvalidOperationException($"the process ended without the line; stderr:\n{_err}"));
                return;
            }
            _err.AppendLine(line);
            foreach (var (match, seen) in _waiting) if (match(line)) seen.TrySetResult();
        }
    }

    /// <summary>Completes when a line of stderr matches (one already written counts); fails when the process ends first or after <paramref name="timeout"/>.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_err)
        {
            if (_err.ToString().Split('\n').Any(l => match(l.TrimEnd('\r')))) return;
            _waiting.Add((match, seen));
        }
        try { await seen.Task.WaitAsync(timeout); }
        catch (TimeoutException) { throw new TimeoutException($"no such line within {timeout.TotalSeconds} s; stderr:\n{Error}"); }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit and for the end of its output.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout)) return false;
        Process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!Process.HasExited) Process.Kill(true);
        if (Process.WaitForExit(10_000)) Process.WaitForExit();   // then its output is read to the end
        Process.Dispose();
    }

    private int _disposed;

    /// <summary>Every line of stderr so far.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>A loopback port free right now.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>
/// The tests that run cluster nodes and services as processes of their own, one class at a time: a cluster's failure
/// detector and graceful leave are timed, and on a loaded 2-core machine they ran late (a coordinator's leave was cut
/// off and the node saw it vanish).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessTests
{
    public const string Name = "process tests";
}
