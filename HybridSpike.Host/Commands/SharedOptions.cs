using HybridSpike.Actors.Runtime.Deployment;
using System.CommandLine;
using System.Globalization;
using HybridSpike.Actors.Cluster;
using HybridSpike.Core.Data;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Host.Commands;

/// <summary>How the pieces of a split network go on cores: <c>--placement sequential|random[:SEED]|greedy|partition</c>.</summary>
internal abstract record PlacementChoice
{
    private PlacementChoice() { }

    /// <summary>Pieces in order on cores in order (<see cref="SequentialPlacement"/>).</summary>
    public sealed record Sequential : PlacementChoice
    {
        public override string ToString() => "sequential";
    }

    /// <summary>Pieces on cores drawn at random with <paramref name="Seed"/> (<see cref="RandomPlacement"/>).</summary>
    public sealed record Random(ulong Seed) : PlacementChoice
    {
        public override string ToString() => $"random:{Seed}";
    }

    /// <summary>Chips grown one at a time by traffic (<see cref="GreedyInterchipPlacement"/>).</summary>
    public sealed record Greedy : PlacementChoice
    {
        public override string ToString() => "greedy";
    }

    /// <summary>A balanced min-cut of the traffic graph, one part per chip (<see cref="PartitionPlacement"/>).</summary>
    public sealed record Partition : PlacementChoice
    {
        public override string ToString() => "partition";
    }

    /// <summary>The valid values, for errors and help.</summary>
    public const string Values = "sequential, random, random:SEED, greedy, partition";

    /// <summary>The seed of a bare <c>random</c>.</summary>
    public const ulong DefaultSeed = 0;

    public static readonly PlacementChoice Default = new Sequential();

    /// <summary>The compile stage's strategy.</summary>
    public IPlacementStrategy Strategy() => this switch
    {
        Random r => new RandomPlacement(r.Seed),
        Greedy => new GreedyInterchipPlacement(),
        Partition => new PartitionPlacement(),
        _ => new SequentialPlacement(),
    };

    /// <summary><c>sequential</c>, <c>random</c>, <c>random:SEED</c>, <c>greedy</c> or <c>partition</c>; anything else is an <see cref="ArgumentException"/> naming --placement.</summary>
    public static PlacementChoice Parse(string text)
    {
        var t = text.Trim();
        if (t == "sequential") return Default;
        if (t == "random") return new Random(DefaultSeed);
        if (t == "greedy") return new Greedy();
        if (t == "partition") return new Partition();
        if (t.StartsWith("random:", StringComparison.Ordinal))
        {
            var seed = t["random:".Length..];
            if (ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out var s)) return new Random(s);
            throw new ArgumentException($"--placement {text}: the seed '{seed}' is not a whole number from 0 to {ulong.MaxValue}");
        }
        throw new ArgumentException($"--placement '{text}' is not one of {Values}");
    }
}

/// <summary>Where a network is compiled to: the profile, the weights that share an exponent, the placement.</summary>
internal sealed record CompileTarget(string Profile, ExponentBlock Exponent, PlacementChoice Placement)
{
    /// <summary>The compiler's options for <see cref="Exponent"/>.</summary>
    public CompileOptions Options => CompileOptions.Default with { Exponents = Exponent };
}

/// <summary>
/// The shared <c>--profile</c>, <c>--exponent</c> and (optionally) <c>--placement</c> options. Each command
/// keeps its own defaults, given to <see cref="Create"/>; the descriptions say them.
/// </summary>
internal sealed record CompileTargetOptions(Option<string> Profile, Option<string> Exponent, Option<string>? Placement)
{
    public const string DefaultProfile = "loihi";

    public static CompileTargetOptions Create(ExponentBlock exponentDefault, bool placement = true, string profileDefault = DefaultProfile)
    {
        var profile = new Option<string>("--profile")
        {
            Description = $"Profile name ({string.Join(", ", Profiles.Names)}) or a profile JSON file (default: {profileDefault})",
            DefaultValueFactory = _ => profileDefault,
        };
        var exponentDescription = exponentDefault == ExponentBlock.Row
            ? "Weights sharing one exponent: row (per target unit; better at 8 bits) or core (per core block) (default: row)"
            : "Weights sharing one exponent: core (per core block) or row (per target unit) (default: core)";
        var exponent = new Option<string>("--exponent") { Description = exponentDescription, DefaultValueFactory = _ => Exponents.Name(exponentDefault) };
        exponent.AcceptOnlyFromAmong(exponentDefault == ExponentBlock.Row ? ["row", "core"] : ["core", "row"]);
        var place = placement
            ? new Option<string>("--placement")
            {
                Description = $"How pieces go on cores: sequential (in order, chip by chip), random (seed {PlacementChoice.DefaultSeed}), random:SEED, greedy (chips grown by traffic) or partition (balanced min-cut of the traffic) (default: sequential)",
                DefaultValueFactory = _ => "sequential",
            }
            : null;
        return new CompileTargetOptions(profile, exponent, place);
    }

    public IEnumerable<Option> All => Placement is null ? [Profile, Exponent] : [Profile, Exponent, Placement];

    public CompileTarget Read(ParseResult result) => new(
        result.GetValue(Profile)!,
        Exponents.Parse(result.GetValue(Exponent)!),
        Placement is null ? PlacementChoice.Default : PlacementChoice.Parse(result.GetValue(Placement)!));

    /// <summary>The names of those of these options given on the command line.</summary>
    public IEnumerable<string> Given(ParseResult result) => All.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name);
}

/// <summary>The names of <see cref="ExponentBlock"/> on the command line and in reports.</summary>
internal static class Exponents
{
    public static string Name(ExponentBlock e) => e == ExponentBlock.Row ? "row" : "core";

    public static ExponentBlock Parse(string name) => name switch
    {
        "row" => ExponentBlock.Row,
        "core" => ExponentBlock.Core,
        _ => throw new ArgumentException($"--exponent '{name}' is not one of core, row"),
    };
}

/// <summary>The names of <see cref="NodeAssignment"/> on the command line (<c>--assign</c>).</summary>
internal static class Assignments
{
    public static string Name(NodeAssignment a) => a switch
    {
        NodeAssignment.RoundRobin => "round-robin",
        NodeAssignment.Chip => "chip",
        _ => "blocks",
    };

    public static NodeAssignment Parse(string name) => name switch
    {
        "round-robin" => NodeAssignment.RoundRobin,
        "chip" => NodeAssignment.Chip,
        "blocks" => NodeAssignment.Blocks,
        _ => throw new ArgumentException($"--assign '{name}' is not one of blocks, round-robin, chip"),
    };
}

/// <summary>
/// <c>--dataset</c>/<c>--data-dir</c> given to a command whose data otherwise comes from its config or artifact:
/// null members keep the config's.
/// </summary>
internal sealed record DatasetOverride(string? Dataset, string? DataDirectory)
{
    public static readonly DatasetOverride None = new(null, null);

    /// <summary>A dataset replaces the config's with its own directory (or none); a directory alone replaces the config's.</summary>
    public DataConfig Apply(DataConfig config) =>
        Dataset is not null ? config with { Dataset = Dataset, DataDirectory = DataDirectory }
        : DataDirectory is not null ? config with { DataDirectory = DataDirectory }
        : config;
}

/// <summary>
/// The range of a whole-number option. Each kind of value has its range defined once, in <see cref="Ranges"/>, so
/// that the same kind gets the same answer in every command; a value outside it is refused by the option's name.
/// </summary>
/// <param name="ZeroMeans">What 0 means for an option that accepts it ("all", "skip"), or null if 0 is refused.</param>
internal sealed record CountRange(int Minimum, int Maximum, string? ZeroMeans)
{
    /// <summary>This range, with 0 accepted as <paramref name="means"/>.</summary>
    public CountRange OrZero(string means) => this with { ZeroMeans = means };

    /// <summary>The range as the error messages and option descriptions say it.</summary>
    public override string ToString() =>
        ZeroMeans is null ? $"from {Minimum:N0} to {Maximum:N0}" : $"0 ({ZeroMeans}) or from {Minimum:N0} to {Maximum:N0}";

    /// <summary><paramref name="value"/>, or an <see cref="ArgumentException"/> naming <paramref name="option"/> and this range.</summary>
    public int Check(int value, string option) =>
        (value == 0 && ZeroMeans is not null) || (value >= Minimum && value <= Maximum)
            ? value
            : throw new ArgumentException($"{option} must be {this}, got {value:N0}");

    /// <summary>An option left out stays null; a given one is checked.</summary>
    public int? Check(int? value, string option) => value is null ? null : Check(value.Value, option);
}

/// <summary>The ranges of the whole-number options that several commands share.</summary>
internal static class Ranges
{
    /// <summary>Test sequences (<c>--samples</c>, <c>--limit</c>). The largest test split here has 10,000; a count within the range but larger than the split is refused once the data is loaded (<see cref="Check.WithinSplit"/>).</summary>
    public static readonly CountRange TestSequences = new(1, 100_000, null);

    /// <summary>Training sequences (<c>--train-limit</c>): the largest training split here has 60,000.</summary>
    public static readonly CountRange TrainSequences = new(1, 1_000_000, null);

    /// <summary>Stream slots of a resident mesh (<c>--streams</c>): each holds a copy of every core's state.</summary>
    public static readonly CountRange Streams = new(1, 1_024, null);

    /// <summary>Time steps of a generated sequence (<c>traffic --steps</c>); psMNIST's have 784.</summary>
    public static readonly CountRange SequenceSteps = new(1, 100_000, null);

    /// <summary>Steps pushed into a stream at a time (<c>--chunk</c>); more than a sequence's steps pushes it whole.</summary>
    public static readonly CountRange Chunk = new(1, 1_000_000, null);

    /// <summary>Training epochs (<c>--epochs</c>).</summary>
    public static readonly CountRange Epochs = new(1, 10_000, null);

    /// <summary>Mesh nodes of a cluster run (<c>--nodes</c>).</summary>
    public static readonly CountRange Nodes = new(1, 256, null);

    /// <summary>Seconds to wait for a cluster's nodes (<c>--join-timeout</c>).</summary>
    public static readonly CountRange JoinTimeoutSeconds = new(1, 3_600, null);

    /// <summary>Mesh steps between recovery points (<c>--snapshot-interval</c>).</summary>
    public static readonly CountRange SnapshotInterval = new CountRange(1, 100_000_000, null).OrZero("no recovery");

    /// <summary>Cores one node may run (<c>--max-cores-per-node</c>).</summary>
    public static readonly CountRange MaxCoresPerNode = new CountRange(1, 1_000_000, null).OrZero("no limit");

    /// <summary>Seconds a served stream may be idle before it is closed (<c>serve --idle-timeout</c>).</summary>
    public static readonly CountRange IdleTimeoutSeconds = new(1, 86_400, null);

    /// <summary>Jobs waiting in a trainer's queue (<c>trainer --queue</c>).</summary>
    public static readonly CountRange QueuedJobs = new(1, 1_024, null);
}

/// <summary>Checks of option values shared by the parse functions and services: each error names its option.</summary>
internal static class Check
{
    /// <summary>
    /// <paramref name="requested"/> test sequences (0 = all) against the <paramref name="loaded"/> ones a split gave: a
    /// request larger than the split is refused, never silently cut to it.
    /// </summary>
    public static void WithinSplit(int requested, int loaded, string option, string dataset)
    {
        if (requested > loaded)
            throw new ArgumentException($"{option} {requested:N0}: the test split of {dataset} has only {loaded:N0} sequences");
    }

    /// <summary>A service's address (serve's --urls, the clients' --url and --deploy): an absolute http:// URL, or an ArgumentException naming <paramref name="option"/>.</summary>
    public static Uri HttpAddress(string value, string option) =>
        Uri.TryCreate(value, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp
            ? u
            : throw new ArgumentException($"{option} '{value}' is not an http:// address (for example http://127.0.0.1:5080)");

    /// <summary>
    /// Refuses an output folder the command could not write, before its work starts, so that a finished run's results
    /// are never lost to a bad path: a file in its place or above it, or a place where nothing can be written. The
    /// folder itself is not made here (a refused or failed run leaves no empty folder behind).
    /// </summary>
    public static void WritableFolder(string folder, string option)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full)) throw new IOException($"{option} {folder} is a file, not a folder (nothing was written)");
        var existing = full;
        while (!Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) break;
            if (File.Exists(parent)) throw new IOException($"{option} {folder}: {parent} is a file, so the folder cannot be made (nothing was written)");
            existing = parent;
        }
        var probe = Path.Combine(existing, $".hybridspike-write-check.{Environment.ProcessId}.tmp");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"{option} {folder}: nothing can be written in {existing} ({e.Message}); nothing was written");
        }
    }
}
