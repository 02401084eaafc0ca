using System.CommandLine;
using HybridSpike.Host.Services;
using HybridSpike.Host.Trainer;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike trainer</c>: parses its options into <see cref="TrainerOptions"/> for <see cref="TrainerService"/>.</summary>
internal sealed class TrainerCommand
{
    private readonly Option<string> _urls = new("--urls") { Description = "Where to listen (default: http://127.0.0.1:5090; loopback unless told otherwise)", DefaultValueFactory = _ => "http://127.0.0.1:5090" };
    private readonly Option<string> _jobs = new("--jobs") { Description = "The jobs' folder, one folder a job; unfinished jobs in it resume when the trainer starts (default: ./jobs)", DefaultValueFactory = _ => "jobs" };
    private readonly Option<string?> _url = new("--url") { Description = "The inference service (hybridspike serve) a finished job deploys to when it names none (default: none)" };
    private readonly Option<int> _queue = new("--queue") { Description = "Jobs waiting at once; one more is answered 429 (default: 16)", DefaultValueFactory = _ => 16 };
    private readonly Option<bool> _json = new("--json") { Description = "Write where it listens and its jobs' folder as JSON on stdout once it listens" };

    public Command Command { get; }

    public TrainerCommand()
    {
        Command = new Command("trainer", "Run the training service: jobs over HTTP, progress as server-sent events, checkpoints, deployment to a running serve (docs/trainer.md), until Ctrl-C or SIGTERM");
        foreach (var o in new Option[] { _urls, _jobs, _url, _queue, _json }) Command.Options.Add(o);
        Command.SetAction((result, cancel) => TrainerService.RunAsync(Parse(result), result.GetValue(_json), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new TrainerCommand().Command;

    public TrainerOptions Parse(ParseResult result)
    {
        var urls = result.GetValue(_urls)!;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries)) Check.HttpAddress(url, _urls.Name);
        var deployTo = result.GetValue(_url) is { } u ? Check.HttpAddress(u, _url.Name) : null;
        return new TrainerOptions(urls, result.GetValue(_jobs)!, deployTo, Ranges.QueuedJobs.Check(result.GetValue(_queue), _queue.Name));
    }
}
