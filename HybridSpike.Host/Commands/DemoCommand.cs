using System.CommandLine;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike demo</c> was asked.</summary>
/// <param name="Out">Folder for the model, the report and the pictures.</param>
/// <param name="Config">Training config; null for the embedded configs/hslmu-tiny.json.</param>
/// <param name="Epochs">Overrides training.epochs when set.</param>
/// <param name="TrainLimit">Train on only the first N training sequences; 0 = all.</param>
/// <param name="Samples">Test digits through the mesh (and the golden models).</param>
/// <param name="Streams">Digits run through the mesh at once.</param>
internal sealed record DemoRequest(string Out, bool Force, bool Resume, string? Config, int? Epochs, int TrainLimit, int Samples, int Streams,
    CompileTarget Target, bool Json);

/// <summary><c>hybridspike demo</c>: parses its options into a <see cref="DemoRequest"/> for <see cref="DemoService"/>.</summary>
internal sealed class DemoCommand
{
    private readonly Option<string> _out = new("--out") { Description = "Folder for the model, report.json, cores.csv and the pictures (default: runs/demo)", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
    private readonly Option<bool> _force = new("--force") { Description = "Replace the demo files of an earlier demo in --out (other files are left alone)" };
    private readonly Option<bool> _resume = new("--resume") { Description = "Continue an unfinished demo in --out from its checkpoint, with its config (after Ctrl-C)" };
    private readonly Option<string?> _config = new("--config") { Description = "Training config (JSON; must be an LMU); default: the embedded configs/hslmu-tiny.json" };
    private readonly Option<int?> _epochs = new("--epochs") { Description = "Override training.epochs (default: the config's; 6 for the embedded one)" };
    private readonly Option<int> _trainLimit = new("--train-limit") { Description = "Train on only the first N training sequences (0 = all 8,000; for quick runs; default: 0)" };
    private readonly Option<int> _samples = new("--samples") { Description = "Test digits through the mesh (and the golden models; default: 500)", DefaultValueFactory = _ => 500 };
    private readonly Option<int> _streams = new("--streams") { Description = "Digits run through the mesh at once (each message carries all of them; default: 50)", DefaultValueFactory = _ => 50 };
    private readonly CompileTargetOptions _target = CompileTargetOptions.Create(ExponentBlock.Row);
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public DemoCommand()
    {
        _json.Description = "Write the summary as JSON on stdout (progress stays on stderr)";
        Command = new Command("demo", "The end-to-end demo on the embedded digits: train a small hsLMU, compile it to Loihi, run test digits through the actor mesh, report accuracy, spikes, traffic and energy");
        foreach (var o in new Option[] { _out, _force, _resume, _config, _epochs, _trainLimit, _samples, _streams, _target.Profile, _target.Exponent, _target.Placement!, _json })
            Command.Options.Add(o);
        Command.SetAction((result, cancel) => DemoService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel));
    }

    public static Command Build() => new DemoCommand().Command;

    /// <summary>The request, or an <see cref="ArgumentException"/> naming the option: everything here is refused before the folder is touched.</summary>
    public DemoRequest Parse(ParseResult result)
    {
        int samples = Ranges.TestSequences.Check(result.GetValue(_samples), _samples.Name);
        int streams = Ranges.Streams.Check(result.GetValue(_streams), _streams.Name);
        int? epochs = Ranges.Epochs.Check(result.GetValue(_epochs), _epochs.Name);
        int trainLimit = Ranges.TrainSequences.OrZero("all").Check(result.GetValue(_trainLimit), _trainLimit.Name);
        bool force = result.GetValue(_force), resume = result.GetValue(_resume);
        var config = result.GetValue(_config);
        if (force && resume) throw new ArgumentException("--force and --resume exclude each other: --force starts the demo in --out over, --resume continues it");
        if (resume && config is not null) throw new ArgumentException("--config and --resume exclude each other: a resumed demo trains with its checkpoint's config");
        return new DemoRequest(result.GetValue(_out)!, force, resume, config, epochs, trainLimit, samples, streams, _target.Read(result), result.GetValue(_json));
    }
}
