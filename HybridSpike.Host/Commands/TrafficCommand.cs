using System.Collections.Immutable;
using System.CommandLine;
using HybridSpike.Host.Services;

namespace HybridSpike.Host.Commands;

/// <summary>What <c>hybridspike traffic</c> was asked.</summary>
/// <param name="Model">An artifact (.hsa) or a training output directory.</param>
/// <param name="Profiles">Profiles to compare (names or profile JSON files), in the order given.</param>
/// <param name="Placers">Placements to compare, in the order given.</param>
/// <param name="Samples">Test sequences run through the fixed-point golden model (the traffic is counted from them).</param>
/// <param name="CheckMesh">Of those, how many also go through the actor mesh of every combination, whose telemetry must equal the offline one (0: no check).</param>
/// <param name="Report">Folder for traffic.md, traffic.json, traffic.csv and traffic-links.png; null for none.</param>
internal sealed record TrafficRequest(string Model, ImmutableArray<string> Profiles, ImmutableArray<PlacementChoice> Placers, DatasetOverride Data,
    int Samples, int CheckMesh, string? Report, bool Json);

/// <summary><c>hybridspike traffic</c>: parses its options into a <see cref="TrafficRequest"/> for <see cref="TrafficService"/>.</summary>
internal sealed class TrafficCommand
{
    public const string DefaultProfiles = "loihi,spinnaker,spinnaker2";

    private readonly Option<string> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
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
    private readonly Option<int> _samples = new("--samples") { Description = "Test sequences through the fixed-point golden model (default: 20)", DefaultValueFactory = _ => 20 };
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
        foreach (var o in new Option[] { _model, _profiles, _placers, _samples, _checkMesh, _report, _json }) Command.Options.Add(o);
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
        return new TrafficRequest(result.GetValue(_model)!, profiles, placers, _data.ReadOverride(result), samples, check, result.GetValue(_report), result.GetValue(_json));
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
