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
    }

    private static Command BuildInfo()
    {
        var info = new Command("info", "Print a dataset's splits, class counts and the psMNIST permutation seed");
        var options = DatasetOptions.Create();
        options.AddTo(info);
        var json = Cli.JsonOption();
        info.Options.Add(json);
        info.SetAction(result =>
        {
            var dataset = Datasets.Load(options.Read(result));
            var report = DataInfo.Of(dataset, Datasets.DefaultPermutationSeed);
            var output = result.InvocationConfiguration.Output;
            if (result.GetValue(json)) Cli.WriteJson(output, report);
            else DataInfo.WriteText(output, report);
            return 0;
        });
        return info;
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
