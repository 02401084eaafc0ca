using System.CommandLine;
using System.Diagnostics;
using HybridSpike.Host.Experiments;
using HybridSpike.Training;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike experiment</c>: trains a folder of configs and writes the comparison report.</summary>
internal static class ExperimentCommands
{
    public static Command Build()
    {
        var cmd = new Command("experiment", "Train every config of a folder on the same data and write a report (table, claims, PNG plots)");
        var configs = new Option<string>("--configs") { Description = "Folder of training configs", DefaultValueFactory = _ => "configs/psmnist" };
        var output = new Option<string>("--out") { Description = "Folder for the report and plots", DefaultValueFactory = _ => "docs/results" };
        var runs = new Option<string?>("--runs") { Description = "Folder for checkpoints and artifacts (default: runs/NAME)" };
        var name = new Option<string>("--name") { Description = "Report name (NAME.md, NAME-*.png)", DefaultValueFactory = _ => "psmnist-embedded" };
        var data = DataCommands.DatasetOptions.Create();
        data.Dataset.DefaultValueFactory = null;
        var epochs = new Option<int?>("--epochs") { Description = "Override every config's training.epochs" };
        var json = Cli.JsonOption();
        foreach (var o in new Option[] { configs, output, runs, name, epochs, json }) cmd.Options.Add(o);
        data.AddTo(cmd);
        cmd.SetAction(async (result, cancel) =>
        {
            var reportName = result.GetValue(name)!;
            var experiment = new Experiment(result.GetValue(configs)!, result.GetValue(runs) ?? Path.Combine("runs", reportName), result.GetValue(output)!,
                reportName, result.GetValue(data.Dataset), result.GetValue(data.DataDir), result.GetValue(epochs));
            var clock = Stopwatch.StartNew();
            var err = result.InvocationConfiguration.Error;
            using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; interrupt.Cancel(); };
            Console.CancelKeyPress += onCtrlC;
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
                if (result.GetValue(json)) Cli.WriteJson(result.InvocationConfiguration.Output, new { Report = report, Runs = all });
                else
                {
                    result.InvocationConfiguration.Output.WriteLine($"report: {report}");
                    foreach (var claim in Experiment.Claims(all)) result.InvocationConfiguration.Output.WriteLine($"- {claim.Replace("**", "")}");
                }
                return 0;
            }
            catch (OperationCanceledException e)
            {
                err.WriteLine($"interrupted: {e.Message} (finished runs are kept; the same command continues)");
                return 130;
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }
        });
        return cmd;
    }
}
