using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike job submit</c> was asked.</summary>
/// <param name="Url">The trainer.</param>
/// <param name="Config">The training config file (as configs/*.json).</param>
/// <param name="Deploy">The inference service the job deploys its artifact to; null: the trainer's --url, if it has one.</param>
/// <param name="Wait">Follow the job's events until it ends, and exit by how it ended.</param>
internal sealed record JobSubmitRequest(Uri Url, string Config, int? Epochs, int? TrainLimit, Uri? Deploy, bool Wait, bool Json);

/// <summary>What <c>hybridspike job status</c> was asked.</summary>
internal sealed record JobStatusRequest(Uri Url, string Id, bool Json);

/// <summary><c>hybridspike job submit|status</c>: clients of a running <c>trainer</c>; they parse, <see cref="JobService"/> does the work.</summary>
internal static class JobCommands
{
    private static Option<string> Url() => new("--url") { Description = "The trainer (default: http://127.0.0.1:5090)", DefaultValueFactory = _ => "http://127.0.0.1:5090" };

    public static Command Build()
    {
        var job = new Command("job", "Submit training jobs to a running `trainer` and read their state (docs/trainer.md)");
        job.Subcommands.Add(new SubmitCommand().Command);
        job.Subcommands.Add(new StatusCommand().Command);
        return job;
    }

    internal sealed class SubmitCommand
    {
        private readonly Option<string> _url = Url();
        private readonly Option<string> _config = new("--config") { Description = "The training config (JSON, as configs/*.json)", Required = true };
        private readonly Option<int?> _epochs = new("--epochs") { Description = "Override training.epochs" };
        private readonly Option<int?> _trainLimit = new("--train-limit") { Description = "Override data.trainLimit: train on the first N sequences" };
        private readonly Option<string?> _deploy = new("--deploy") { Description = "At the end, deploy the artifact to the running service at this address (default: the trainer's --url, if any)" };
        private readonly Option<bool> _wait = new("--wait") { Description = "Follow the job's progress on stderr until it ends; exit 0 only if it succeeded" };
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public SubmitCommand()
        {
            Command = new Command("submit", "Queue a training job on a running `trainer`");
            foreach (var o in new Option[] { _url, _config, _epochs, _trainLimit, _deploy, _wait, _json }) Command.Options.Add(o);
            Command.SetAction((result, cancel) => CtrlC.RunAsync("job submit", "the job goes on in the trainer (see hybridspike job status)", result.InvocationConfiguration.Error, cancel,
                token => JobService.SubmitAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token)));
        }

        public JobSubmitRequest Parse(ParseResult result)
        {
            var deploy = result.GetValue(_deploy) is { } d ? Check.HttpAddress(d, _deploy.Name) : null;
            return new JobSubmitRequest(Check.HttpAddress(result.GetValue(_url)!, _url.Name), result.GetValue(_config)!,
                Ranges.Epochs.Check(result.GetValue(_epochs), _epochs.Name), Ranges.TrainSequences.Check(result.GetValue(_trainLimit), _trainLimit.Name),
                deploy, result.GetValue(_wait), result.GetValue(_json));
        }
    }

    internal sealed class StatusCommand
    {
        private readonly Option<string> _url = Url();
        private readonly Option<string> _id = new("--id") { Description = "The job's id (as submit answered it)", Required = true };
        private readonly Option<bool> _json = Cli.JsonOption();

        public Command Command { get; }

        public StatusCommand()
        {
            Command = new Command("status", "Print a job's state on a running `trainer`: epoch, last progress, artifact, deployment");
            foreach (var o in new Option[] { _url, _id, _json }) Command.Options.Add(o);
            Command.SetAction((result, cancel) => JobService.StatusAsync(Parse(result), result.InvocationConfiguration.Output, cancel));
        }

        public JobStatusRequest Parse(ParseResult result) =>
            new(Check.HttpAddress(result.GetValue(_url)!, _url.Name), result.GetValue(_id)!, result.GetValue(_json));
    }
}
