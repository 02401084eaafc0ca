using System.Collections.Immutable;
using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What a traffic study runs: a trained artifact on its test split, or a generated network on seeded inputs.</summary>
internal abstract record TrafficInput
{
    private TrafficInput() { }

    /// <param name="Model">An artifact (.hsa) or a training output directory.</param>
    public sealed record Artifact(string Model) : TrafficInput;

    /// <param name="Steps">Time steps per sequence.</param>
    /// <param name="Seed">The seed of the uniform inputs (<see cref="Core.Data.UniformSequences"/>).</param>
    public sealed record Generated(GeneratedNetwork Network, int Steps, ulong Seed) : TrafficInput;
}

/// <summary>What <c>hybridspike traffic</c> was asked.</summary>
/// <param name="Source">The network and its inputs.</param>
/// <param name="Profiles">Profiles to compare (names or profile JSON files), in the order given.</param>
/// <param name="Placers">Placements to compare, in the order given.</param>
/// <param name="Samples">Sequences run through the fixed-point golden model (the traffic is counted from them).</param>
/// <param name="CheckMesh">Of those, how many also go through the actor mesh of every combination, whose telemetry must equal the offline one (0: no check).</param>
/// <param name="Report">Folder for traffic.md, traffic.json, traffic.csv and traffic-links.png; null for none.</param>
internal sealed record TrafficRequest(TrafficInput Source, ImmutableArray<string> Profiles, ImmutableArray<PlacementChoice> Placers, DatasetOverride Data,
    int Samples, int CheckMesh, string? Report, bool Json);

/// <summary><c>hybridspike traffic</c>: parses its options into a <see cref="TrafficRequest"/> for <see cref="TrafficService"/>.</summary>
internal sealed class TrafficCommand
{
    public const string DefaultProfiles = "loihi,spinnaker,spinnaker2";

    private readonly Option<string?> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory (or --network)" };
    private readonly Option<string?> _network = new("--network")
    {
        Description = "Instead of --model, a generated network: locally-connected[:on=PROFILE,radius=R,targets=T,units=U] (defaults: on=spinnaker, radius=3, targets=2, units=44), one population per core of PROFILE's triangular torus, each feeding T populations on every chip within R hops",
    };
    private readonly Option<int> _steps = new("--steps") { Description = "With --network: time steps per sequence (default: 100)", DefaultValueFactory = _ => 100 };
    private readonly Option<ulong> _seed = new("--seed") { Description = "With --network: the seed of the inputs, uniform in [-1, 1) (default: 1)", DefaultValueFactory = _ => 1 };
    private readonly Option<string> _profiles = new("--profiles")
    {
        Description = $"Comma-separated profiles to compare ({string.Join(", ", Mapping.Profiles.Profiles.Names)}, or profile JSON files) (default: {DefaultProfiles})",
        DefaultValueFactory = _ => DefaultProfiles,
    };
    private readonly Option<string> _placers = new("--placers")
    {
        Description = "Comma-separated placements to compare (as --placement: sequential, random, random:SEED, greedy, partition) (default: sequential,greedy,partition)",
        DefaultValueFactory = _ => "sequential,greedy,partition",
    };
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int> _samples = new("--samples") { Description = "Sequences through the fixed-point golden model: the first test sequences of the model's dataset, or generated ones (default: 20)", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _checkMesh = new("--check-mesh")
    {
        Description = "Of those, run this many through the actor mesh of every combination and require its telemetry to equal the offline one (0 = no check; default: 2)",
        DefaultValueFactory = _ => 2,
    };
    private readonly Option<string?> _report = new("--report") { Description = "Folder for traffic.md, traffic.json, traffic.csv and traffic-links.png (other files in it are left alone)" };
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public TrafficCommand()
    {
        _data.Dataset.DefaultValueFactory = null;
        Command = new Command("traffic", "Compare the traffic of one network on several profiles and placements, with the same spikes everywhere (docs/traffic.md)");
        foreach (var o in new Option[] { _model, _network, _steps, _seed, _profiles, _placers, _samples, _checkMesh, _report, _json }) Command.Options.Add(o);
        _data.AddTo(Command);
        Command.SetAction((result, cancel) => CtrlC.RunAsync("traffic", CtrlC.NothingWritten, result.InvocationConfiguration.Error, cancel,
            token => TrafficService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token)));
    }

    public static Command Build() => new TrafficCommand().Command;

    public TrafficRequest Parse(ParseResult result)
    {
        int samples = Ranges.TestSequences.Check(result.GetValue(_samples), _samples.Name);
        int check = Ranges.TestSequences.OrZero("no check").Check(result.GetValue(_checkMesh), _checkMesh.Name);
        // The default check is cut to the samples there are; a check asked for on more samples than run is refused.
        if (check > samples)
            check = result.GetResult(_checkMesh) is { Implicit: false } ? throw new ArgumentException($"{_checkMesh.Name} {check}: more than the {samples} --samples") : samples;
        var profiles = List(result.GetValue(_profiles)!, _profiles.Name);
        var placers = List(result.GetValue(_placers)!, _placers.Name).Select(name =>
        {
            try { return PlacementChoice.Parse(name); }
            catch (ArgumentException e) { throw new ArgumentException($"{_placers.Name}: {e.Message}", e); }
        }).ToImmutableArray();
        if (placers.Distinct().Count() != placers.Length) throw new ArgumentException($"{_placers.Name}: a placement is listed twice");
        return new TrafficRequest(Source(result), profiles, placers, _data.ReadOverride(result), samples, check, result.GetValue(_report), result.GetValue(_json));
    }

    /// <summary>--model, or --network with its --steps and --seed: exactly one of the two, and the input options only where they apply.</summary>
    private TrafficInput Source(ParseResult result)
    {
        var (model, network) = (result.GetValue(_model), result.GetValue(_network));
        bool Given(Option o) => result.GetResult(o) is { Implicit: false };
        if (model is null == network is null) throw new ArgumentException($"give either {_model.Name} or {_network.Name}, not {(model is null ? "neither" : "both")}");
        if (model is not null)
        {
            if (new Option[] { _steps, _seed }.FirstOrDefault(Given) is { } o) throw new ArgumentException($"{o.Name} is for {_network.Name}; {_model.Name} runs its dataset's test sequences");
            return new TrafficInput.Artifact(model);
        }
        if (new Option[] { _data.Dataset, _data.DataDir }.FirstOrDefault(Given) is { } d) throw new ArgumentException($"{d.Name} is for {_model.Name}; {_network.Name} runs generated inputs");
        int steps = Ranges.SequenceSteps.Check(result.GetValue(_steps), _steps.Name);
        return new TrafficInput.Generated(GeneratedNetwork.Parse(network!), steps, result.GetValue(_seed));
    }

    /// <summary>The comma-separated names of <paramref name="option"/>, each once; an empty list is refused by the option's name.</summary>
    private static ImmutableArray<string> List(string text, string option)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToImmutableArray();
        if (names.IsEmpty) throw new ArgumentException($"{option}: no names given");
        if (names.Distinct().Count() != names.Length) throw new ArgumentException($"{option}: '{names.GroupBy(n => n).First(g => g.Count() > 1).Key}' is listed twice");
        return names;
    }
}
