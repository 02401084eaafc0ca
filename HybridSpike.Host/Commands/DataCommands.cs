using System.Collections.Immutable;
using System.CommandLine;
using HybridSpike.Core.Data;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike data ...</c>: what the datasets hold and how they are split.</summary>
internal static class DataCommands
{
    public static Command Build()
    {
        var data = new Command("data", "Inspect the datasets");
        data.Subcommands.Add(BuildInfo());
        return data;
    }

    /// <summary>Options naming a dataset, shared by every command that reads one.</summary>
    internal sealed record DatasetOptions(Option<string> Dataset, Option<string?> DataDir)
    {
        public static DatasetOptions Create()
        {
            var dataset = new Option<string>("--dataset")
            {
                Description = "Dataset: " + string.Join(", ", Datasets.Names),
                DefaultValueFactory = _ => Datasets.MnistEmbedded,
            };
            dataset.AcceptOnlyFromAmong([.. Datasets.Names]);
            var dir = new Option<string?>("--data-dir")
            {
                Description = "Directory holding the IDX files (train-images-idx3-ubyte[.gz], ...)",
            };
            return new DatasetOptions(dataset, dir);
        }

        public void AddTo(Command command)
        {
            command.Options.Add(Dataset);
            command.Options.Add(DataDir);
        }

        public DatasetRequest Read(ParseResult result) => new(result.GetValue(Dataset)!, result.GetValue(DataDir));

        /// <summary>For a command whose data comes from a config or an artifact (its --dataset has no default): what the options replace.</summary>
        public DatasetOverride ReadOverride(ParseResult result) => new(result.GetValue(Dataset), result.GetValue(DataDir));
    }

    private static Command BuildInfo() => new DataInfoCommand().Command;
}

/// <summary>What <c>hybridspike data info</c> was asked.</summary>
internal sealed record DataInfoRequest(DatasetRequest Dataset, bool Json);

/// <summary><c>hybridspike data info</c>: parses its options into a <see cref="DataInfoRequest"/> for <see cref="DataInfoService"/>.</summary>
internal sealed class DataInfoCommand
{
    private readonly DataCommands.DatasetOptions _dataset = DataCommands.DatasetOptions.Create();
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public DataInfoCommand()
    {
        Command = new Command("info", "Print a dataset's splits, class counts and the psMNIST permutation seed");
        _dataset.AddTo(Command);
        Command.Options.Add(_json);
        Command.SetAction(result => DataInfoService.Run(Parse(result), result.InvocationConfiguration.Output, CancellationToken.None));
    }

    public DataInfoRequest Parse(ParseResult result) => new(_dataset.Read(result), result.GetValue(_json));
}

/// <summary>A dataset's splits and class counts (<c>hybridspike data info</c>).</summary>
internal static class DataInfoService
{
    public static int Run(DataInfoRequest request, TextWriter output, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var report = DataInfo.Of(Datasets.Load(request.Dataset), Datasets.DefaultPermutationSeed);
        if (request.Json) Cli.WriteJson(output, report);
        else DataInfo.WriteText(output, report);
        return 0;
    }
}

/// <summary>The report of <c>hybridspike data info</c>.</summary>
internal sealed record DataInfo(
    string Dataset,
    string Source,
    string Protocol,
    ulong SplitSeed,
    ulong PermutationSeed,
    int SequenceLength,
    int Rows,
    int Columns,
    int Classes,
    ImmutableArray<DataInfo.SplitInfo> Splits)
{
    internal sealed record SplitInfo(string Name, int Count, ImmutableArray<int> ClassCounts);

    public static DataInfo Of(Dataset dataset, ulong permutationSeed)
    {
        var s = dataset.Splits;
        var source = s.Train.Source;
        return new DataInfo(
            dataset.Name, dataset.Source, s.Protocol, s.SplitSeed, permutationSeed,
            source.PixelsPerImage, source.Rows, source.Columns, source.Classes,
            [.. new[] { s.Train, s.Validation, s.Test }.Select(x => new SplitInfo(x.Name, x.Count, x.ClassCounts()))]);
    }

    public static void WriteText(TextWriter o, DataInfo r)
    {
        o.WriteLine($"dataset           {r.Dataset}");
        o.WriteLine($"source            {r.Source}");
        o.WriteLine($"images            {r.Rows}x{r.Columns}, {r.Classes} classes");
        o.WriteLine($"split             {r.Protocol}");
        o.WriteLine($"psMNIST sequence  {r.SequenceLength} steps, permutation seed {r.PermutationSeed}");
        o.WriteLine();
        o.WriteLine($"{"split",-12}{"images",8}  class counts (0..{r.Classes - 1})");
        foreach (var split in r.Splits)
            o.WriteLine($"{split.Name,-12}{split.Count,8}  {string.Join(' ', split.ClassCounts.Select(c => c.ToString().PadLeft(5)))}");
    }
}
