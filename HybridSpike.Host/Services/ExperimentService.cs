using System.Diagnostics;
using HybridSpike.Host.Commands;
using HybridSpike.Host.Experiments;
using HybridSpike.Training;

namespace HybridSpike.Host.Services;

/// <summary>Trains a folder of configs and writes the comparison report (<c>hybridspike experiment</c>).</summary>
internal static class ExperimentService
{
    /// <summary>Runs the experiment (finished runs are reused), writes the report; the summary goes to <paramref name="output"/>, progress to <paramref name="err"/>. Returns 130 when interrupted by Ctrl-C, 143 by SIGTERM.</summary>
    public static async Task<int> RunAsync(ExperimentRequest request, TextWriter output, TextWriter err, CancellationToken cancel)
    {
        Check.WritableFolder(request.Out, "--out");
        Check.WritableFolder(request.Runs, "--runs");
        var experiment = new Experiment(request.Configs, request.Runs, request.Out, request.Name, request.Data.Dataset, request.Data.DataDirectory, request.Epochs);
        var clock = Stopwatch.StartNew();
        using var interrupt = new CtrlC(cancel);
        try
        {
            var last = DateTime.MinValue;
            var progress = new Progress<TrainingProgress>(p =>
            {
                if (DateTime.UtcNow - last < TimeSpan.FromSeconds(10) && p.Batch != p.BatchesPerEpoch) return; // a line every 10 s: this runs for a long time, often into a file
                last = DateTime.UtcNow;
                err.WriteLine($"  epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.BatchesPerEpoch} loss {p.Loss:0.000} acc {p.Accuracy:P1} {string.Join(" ", p.Omega.Select(o => $"ω_{o.Key}={o.Value:0.##}"))}");
            });
            var all = await experiment.RunAsync(line => err.WriteLine(line), progress, interrupt.Token);
            var command = "hybridspike " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            var report = experiment.WriteReport(all, command, clock.Elapsed);
            if (request.Json) Cli.WriteJson(output, new { Report = report, Runs = all });
            else
            {
                output.WriteLine($"report: {report}");
                foreach (var claim in Experiment.Claims(all)) output.WriteLine($"- {claim.Replace("**", "")}");
            }
            return 0;
        }
        catch (OperationCanceledException e) when (interrupt.Token.IsCancellationRequested)
        {
            err.WriteLine($"{interrupt.Signal}: interrupted: {e.Message} (finished runs are kept; the same command continues)");
            return interrupt.ExitCode;
        }
    }
}
