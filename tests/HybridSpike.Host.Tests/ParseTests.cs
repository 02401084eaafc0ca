using HybridSpike.Actors.Runtime.Deployment;
using System.CommandLine;
using HybridSpike.Actors.Cluster;
using HybridSpike.Core.Data;
using HybridSpike.Host.Commands;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Tests;

/// <summary>Each command's parse function: its defaults, and each validation error naming its option.</summary>
public sealed class ParseTests
{
    /// <summary>Parses <paramref name="args"/> with <paramref name="command"/> (no parse errors allowed) and hands the result to <paramref name="parse"/>.</summary>
    private static T Parse<T>(Command command, Func<ParseResult, T> parse, params string[] args)
    {
        var result = command.Parse(args);
        Assert.True(result.Errors.Count == 0, string.Join("; ", result.Errors.Select(e => e.Message)));
        return parse(result);
    }

    private static void Refused<T>(Command command, Func<ParseResult, T> parse, string message, params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(command, parse, args));
        Assert.Contains(message, e.Message);
    }

    private static SimulateRequest Simulate(params string[] args) { var c = new SimulateCommand(); return Parse(c.Command, c.Parse, args); }
    private static DemoRequest Demo(params string[] args) { var c = new DemoCommand(); return Parse(c.Command, c.Parse, args); }
    private static CompileRequest Compile(params string[] args) { var c = new CompileCommand(); return Parse(c.Command, c.Parse, args); }
    private static EvalRequest Eval(params string[] args) { var c = new EvalCommand(); return Parse(c.Command, c.Parse, args); }

    [Fact]
    public void Compile_defaults_and_refusals()
    {
        var r = Compile("--model", "m.hsa");
        Assert.Equal(new CompileRequest("m.hsa", new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()), 0, false), r);
        var c = new CompileCommand();
        Refused(c.Command, c.Parse, "--samples must be 0 (skip) or from 1 to 100,000, got -1", "--model", "m", "--samples", "-1");
        Refused(c.Command, c.Parse, "--placement 'diagonal' is not one of sequential, random, random:SEED, greedy, partition", "--model", "m", "--placement", "diagonal");
        Assert.Equal(new PlacementChoice.Random(7), Compile("--model", "m", "--placement", "random:7", "--exponent", "row").Target.Placement);
        Assert.Equal(new PlacementChoice.Partition(), Compile("--model", "m", "--placement", "partition").Target.Placement);
        Assert.Equal(ExponentBlock.Row, Compile("--model", "m", "--exponent", "row").Target.Exponent);
    }

    [Fact]
    public void Placement_parses_into_a_closed_type_and_gives_the_compiler_strategy()
    {
        Assert.IsType<PlacementChoice.Sequential>(PlacementChoice.Parse("sequential"));
        Assert.Equal(new PlacementChoice.Random(PlacementChoice.DefaultSeed), PlacementChoice.Parse("random"));
        Assert.Equal(new PlacementChoice.Random(18446744073709551615), PlacementChoice.Parse("random:18446744073709551615"));
        Assert.IsType<SequentialPlacement>(PlacementChoice.Parse("sequential").Strategy());
        var random = Assert.IsType<RandomPlacement>(PlacementChoice.Parse("random:42").Strategy());
        Assert.Equal(42UL, random.Seed);
        Assert.IsType<PlacementChoice.Greedy>(PlacementChoice.Parse("greedy"));
        Assert.IsType<PlacementChoice.Partition>(PlacementChoice.Parse("partition"));
        Assert.IsType<GreedyInterchipPlacement>(PlacementChoice.Parse("greedy").Strategy());
        Assert.IsType<PartitionPlacement>(PlacementChoice.Parse("partition").Strategy());
        Assert.Equal("partition", PlacementChoice.Parse("partition").ToString());
        foreach (var bad in new[] { "random:", "random:-1", "random:x", "random:1.5", "Random", "seq", "greedy:1", "Partition" })
            Assert.Contains("--placement", Assert.Throws<ArgumentException>(() => PlacementChoice.Parse(bad)).Message);
    }

    [Fact]
    public void Simulate_defaults_and_refusals()
    {
        var r = Simulate("--model", "m");
        Assert.Equal("m", r.Model);
        Assert.Equal(new CompileTarget("loihi", ExponentBlock.Core, new PlacementChoice.Sequential()), r.Target);
        Assert.Equal(DatasetOverride.None, r.Data);
        Assert.Equal((20, 10, (string?)null, (ClusterRequest?)null, false), (r.Samples, r.Streams, r.Report, r.Cluster, r.Json));

        var spread = Simulate("--model", "m", "--cluster", "n.hocon", "--assign", "round-robin");
        Assert.Equal(new ClusterRequest("n.hocon", 2, NodeAssignment.RoundRobin, TimeSpan.FromSeconds(60), null, 0), spread.Cluster);
        var recovering = Simulate("--model", "m", "--cluster", "n.hocon", "--snapshot-interval", "100", "--max-cores-per-node", "8").Cluster!;
        Assert.Equal((100, 8), (recovering.SnapshotInterval, recovering.MaxCoresPerNode));
        Assert.Equal(0, Simulate("--model", "m", "--cluster", "n.hocon", "--snapshot-interval", "0").Cluster!.SnapshotInterval);
        Assert.Equal(new DatasetOverride("mnist", "/d"), Simulate("--model", "m", "--dataset", "mnist", "--data-dir", "/d").Data);

        var c = new SimulateCommand();
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--samples", "0"], "--samples must be from 1 to 100,000, got 0"),
            (["--streams", "-2"], "--streams must be from 1 to 1,024, got -2"),
            (["--nodes", "3"], "--nodes needs --cluster"),
            (["--assign", "chip"], "--assign needs --cluster"),
            (["--join-timeout", "5"], "--join-timeout needs --cluster"),
            (["--snapshot-interval", "5"], "--snapshot-interval needs --cluster"),
            (["--max-cores-per-node", "5"], "--max-cores-per-node needs --cluster"),
            (["--cluster", "n.hocon", "--snapshot-interval", "-1"], "--snapshot-interval must be 0 (no recovery) or from 1 to 100,000,000, got -1"),
            (["--cluster", "n.hocon", "--nodes", "0"], "--nodes must be from 1 to 256, got 0"),
            (["--cluster", "n.hocon", "--join-timeout", "0"], "--join-timeout must be from 1 to 3,600, got 0"),
            (["--placement", "random:seed"], "--placement random:seed: the seed 'seed' is not a whole number"),
        })
            Refused(c.Command, c.Parse, message, ["--model", "m", .. args]);
    }

    [Fact]
    public void Demo_defaults_and_refusals()
    {
        var r = Demo();
        Assert.Equal(new DemoRequest(Path.Combine("runs", "demo"), false, false, null, null, 0, 500, 50,
            new CompileTarget("loihi", ExponentBlock.Row, new PlacementChoice.Sequential()), false), r);
        var c = new DemoCommand();
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--samples", "0"], "--samples must be from 1 to 100,000, got 0"),
            (["--streams", "0"], "--streams must be from 1 to 1,024, got 0"),
            (["--epochs", "0"], "--epochs must be from 1 to 10,000, got 0"),
            (["--train-limit", "-1"], "--train-limit must be 0 (all) or from 1 to 1,000,000, got -1"),
            (["--force", "--resume"], "--force and --resume exclude each other"),
            (["--resume", "--config", "c.json"], "--config and --resume exclude each other"),
            (["--placement", "spiral"], "--placement 'spiral'"),
        })
            Refused(c.Command, c.Parse, message, args);
    }

    [Fact]
    public void Eval_defaults_and_refusals()
    {
        var r = Eval("--model", "run");
        Assert.Equal(new EvalRequest("run", null, DatasetOverride.None, 0, new CompileTarget("loihi", ExponentBlock.Row, new PlacementChoice.Sequential()), null, false), r);
        Assert.Equal(EvalEngine.Golden, Eval("--model", "run", "--engine", "golden").Engine);
        Assert.Equal(EvalEngine.Torch, Eval("--model", "run", "--engine", "torch").Engine);
        var g = Eval("--model", "m.hsa", "--engine", "golden", "--profile", "test", "--exponent", "core");
        Assert.Equal((new CompileTarget("test", ExponentBlock.Core, new PlacementChoice.Sequential()), "--profile"), (g.FixedPoint, g.FixedPointOptionGiven));
        var c = new EvalCommand();
        Refused(c.Command, c.Parse, "--limit must be 0 (all) or from 1 to 100,000, got -5", "--model", "m", "--limit", "-5");
        Refused(c.Command, c.Parse, "--profile applies to --engine golden", "--model", "m", "--engine", "torch", "--profile", "test");
        Refused(c.Command, c.Parse, "--exponent applies to --engine golden", "--model", "m", "--engine", "torch", "--exponent", "core");
        Assert.NotEmpty(c.Command.Parse(["--model", "m", "--engine", "float"]).Errors);
    }

    [Fact]
    public void Train_verify_experiment_data_and_node_defaults_and_refusals()
    {
        var train = new TrainCommand();
        Assert.Equal(new TrainRequest(null, DatasetOverride.None, null, "o", false, false, null, false), Parse(train.Command, train.Parse, "--out", "o"));
        Assert.Equal(new DatasetOverride(null, "/d"), Parse(train.Command, train.Parse, "--out", "o", "--data-dir", "/d").Data);
        Refused(train.Command, train.Parse, "--epochs must be from 1 to 10,000, got 0", "--out", "o", "--epochs", "0");

        var verify = new VerifyCommand();
        Assert.Equal(new VerifyRequest("run", 200, false), Parse(verify.Command, verify.Parse, "--model", "run"));
        Refused(verify.Command, verify.Parse, "--limit must be 0 (all) or from 1 to 100,000, got -1", "--model", "run", "--limit", "-1");

        var experiment = new ExperimentCommand();
        Assert.Equal(new ExperimentRequest("configs/psmnist", "docs/results", Path.Combine("runs", "x"), "x", DatasetOverride.None, null, true),
            Parse(experiment.Command, experiment.Parse, "--name", "x", "--json"));
        Refused(experiment.Command, experiment.Parse, "--epochs must be from 1 to 10,000, got -1", "--epochs", "-1");

        var info = new DataInfoCommand();
        Assert.Equal(new DataInfoRequest(new DatasetRequest(Datasets.MnistEmbedded, null), false), Parse(info.Command, info.Parse));

        var node = new NodeCommand();
        Assert.Equal(new NodeRequest("n.hocon", null), Parse(node.Command, node.Parse, "--config", "n.hocon"));
        Assert.Equal(new NodeRequest("n.hocon", 2552), Parse(node.Command, node.Parse, "--config", "n.hocon", "--port", "2552"));
        Refused(node.Command, node.Parse, "--port must be from 1 to 65535, got 70000", "--config", "n.hocon", "--port", "70000");
        Refused(node.Command, node.Parse, "--port must be from 1 to 65535, got 0", "--config", "n.hocon", "--port", "0");
    }

    [Fact]
    public void A_dataset_override_replaces_the_dataset_with_its_directory_or_the_directory_alone()
    {
        var config = new DataConfig { Dataset = "mnist", DataDirectory = "/a" };
        Assert.Equal(config, DatasetOverride.None.Apply(config));
        Assert.Equal(config with { Dataset = "fashion-mnist", DataDirectory = null }, new DatasetOverride("fashion-mnist", null).Apply(config));
        Assert.Equal(config with { DataDirectory = "/b" }, new DatasetOverride(null, "/b").Apply(config));
    }
}
