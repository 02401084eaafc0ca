namespace HybridSpike.Host.Tests;

/// <summary>Runs the <c>hybridspike</c> command line in-process and captures what it writes.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error);

internal static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Starts the built <c>hybridspike</c> in a process of its own, its output redirected.</summary>
    public static System.Diagnostics.Process StartProcess(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "hybridspike.dll");
        // Through env --default-signal=INT: a child of a runner that ignores SIGINT (a background job) would ignore it
        // too, and the .NET runtime keeps an inherited SIG_IGN, so a Ctrl-C test would wait in vain.
        var start = new System.Diagnostics.ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return System.Diagnostics.Process.Start(start)!;
    }

    /// <summary>Runs the built <c>hybridspike</c> in a process of its own (what a user runs).</summary>
    public static CliResult RunProcess(params string[] args)
    {
        using var p = StartProcess(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException($"hybridspike {string.Join(' ', args)} did not finish"); }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
