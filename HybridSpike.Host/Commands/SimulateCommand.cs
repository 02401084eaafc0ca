using HybridSpike.Actors.Runtime.Deployment;
using System.CommandLine;
using HybridSpike.Actors.Cluster;
using HybridSpike.Host.Services;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Host.Commands;

/// <summary><c>simulate --cluster</c>: the cluster to join and how to spread the cores over it.</summary>
/// <param name="File">The node HOCON file of this process.</param>
/// <param name="Nodes">Mesh nodes to use, this one included.</param>
/// <param name="SnapshotInterval">Mesh steps between recovery points (0: no recovery); null: the node file's (1,000 by default).</param>
/// <param name="MaxCoresPerNode">Most cores one node may run, at the start and after a re-placement (0: no limit).</param>
internal sealed record ClusterRequest(string File, int Nodes, NodeAssignment Assignment, TimeSpan JoinTimeout, int? SnapshotInterval, int MaxCoresPerNode);

/// <summary>The options of a command that can spread its mesh over a cluster's nodes (simulate, serve).</summary>
internal sealed record ClusterOptions(Option<string?> Cluster, Option<int> Nodes, Option<string> Assign, Option<int> JoinTimeout, Option<int?> SnapshotInterval,
    Option<int> MaxCoresPerNode)
{
    public static ClusterOptions Create()
    {
        var assign = new Option<string>("--assign") { Description = "With --cluster: cores to nodes in contiguous blocks, round-robin, or by chip (default: blocks)", DefaultValueFactory = _ => "blocks" };
        assign.AcceptOnlyFromAmong("blocks", "round-robin", "chip");
        return new(
            new Option<string?>("--cluster") { Description = "Join the cluster of this node HOCON file (cluster-config/) and spread the cores over its mesh nodes" },
            new Option<int>("--nodes") { Description = "With --cluster: mesh nodes to use (this one included); waits until that many have joined (default: 2)", DefaultValueFactory = _ => 2 },
            assign,
            new Option<int>("--join-timeout") { Description = "With --cluster: seconds to wait for the nodes to join (default: 60)", DefaultValueFactory = _ => 60 },
            new Option<int?>("--snapshot-interval") { Description = "With --cluster: mesh steps between recovery points, so that a lost node is recovered from with the same results (0: none, a lost node ends the run; default: the node file's hybridspike.mesh.recovery.snapshot-interval, 1000)" },
            new Option<int>("--max-cores-per-node") { Description = "With --cluster: most cores one node may run, at the start and when a lost node's cores are re-placed (default: 0, no limit)", DefaultValueFactory = _ => 0 });
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Cluster, Nodes, Assign, JoinTimeout, SnapshotInterval, MaxCoresPerNode }) command.Options.Add(o);
    }

    /// <summary>The cluster asked for, or null; a cluster option without --cluster is refused by name.</summary>
    public ClusterRequest? Read(ParseResult result)
    {
        if (result.GetValue(Cluster) is { } file)
            return new ClusterRequest(file, Ranges.Nodes.Check(result.GetValue(Nodes), Nodes.Name), Assignments.Parse(result.GetValue(Assign)!),
                TimeSpan.FromSeconds(Ranges.JoinTimeoutSeconds.Check(result.GetValue(JoinTimeout), JoinTimeout.Name)),
                result.GetValue(SnapshotInterval) is { } k ? Ranges.SnapshotInterval.Check(k, SnapshotInterval.Name) : null,
                Ranges.MaxCoresPerNode.Check(result.GetValue(MaxCoresPerNode), MaxCoresPerNode.Name));
        if (new Option[] { Nodes, Assign, JoinTimeout, SnapshotInterval, MaxCoresPerNode }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false }) is { } alone)
            throw new ArgumentException($"{alone.Name} needs --cluster");
        return null;
    }
}

/// <summary>What <c>hybridspike simulate</c> was asked.</summary>
/// <param name="Model">An artifact (.hsa) or a training output directory.</param>
/// <param name="Report">Folder for report.json, the telemetry files and the pictures; null for none.</param>
/// <param name="Streams">Stream slots of the mesh: sequences through it at once.</param>
/// <param name="Chunk">Steps pushed into a sequence's stream at a time; null for its whole input at once.</param>
/// <param name="Cluster">Spread the cores over a cluster; null to run every core in this process.</param>
internal sealed record SimulateRequest(string Model, CompileTarget Target, DatasetOverride Data, int Samples, int Streams, int? Chunk,
    string? Report, ClusterRequest? Cluster, bool Json);

/// <summary><c>hybridspike simulate</c>: parses its options into a <see cref="SimulateRequest"/> for <see cref="SimulateService"/>.</summary>
internal sealed class SimulateCommand
{
    private readonly Option<string> _model = new("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
    private readonly CompileTargetOptions _target = CompileTargetOptions.Create(ExponentBlock.Core);
    private readonly DataCommands.DatasetOptions _data = DataCommands.DatasetOptions.Create();
    private readonly Option<int> _samples = new("--samples") { Description = "Test sequences to run (default: 20)", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _streams = new("--streams") { Description = "Stream slots of the mesh, deployed once: sequences through it at once, each a stream of its own; the next starts as one ends (default: 10)", DefaultValueFactory = _ => 10 };
    private readonly Option<int?> _chunk = new("--chunk") { Description = "Steps of a sequence's input pushed into its stream at a time (default: the whole sequence at once)" };
    private readonly Option<string?> _report = new("--report") { Description = "Folder for report.json, the telemetry CSV files (cores, core-steps, steps, links, hops; docs/telemetry.md) and the pictures (link load, traffic per step, spike raster)" };
    private readonly ClusterOptions _cluster = ClusterOptions.Create();
    private readonly Option<bool> _json = Cli.JsonOption();

    public Command Command { get; }

    public SimulateCommand()
    {
        _data.Dataset.DefaultValueFactory = null;
        Command = new Command("simulate", "Run test sequences through the actor mesh of a compiled network; report accuracy, spikes, packets, energy and time");
        foreach (var o in new Option[] { _model, _target.Profile, _target.Exponent, _target.Placement!, _samples, _streams, _chunk, _report, _json })
            Command.Options.Add(o);
        _cluster.AddTo(Command);
        _data.AddTo(Command);
        // Ctrl-C or SIGTERM stops the run (a coordinator leaves its cluster, the nodes stay up for the next run) and says so.
        Command.SetAction((result, cancel) => CtrlC.RunAsync("simulate", "nothing was written", result.InvocationConfiguration.Error, cancel,
            token => SimulateService.RunAsync(Parse(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, token)));
    }

    public static Command Build() => new SimulateCommand().Command;

    public SimulateRequest Parse(ParseResult result)
    {
        int samples = Ranges.TestSequences.Check(result.GetValue(_samples), _samples.Name);
        int streams = Ranges.Streams.Check(result.GetValue(_streams), _streams.Name);
        int? chunk = Ranges.Chunk.Check(result.GetValue(_chunk), _chunk.Name);
        var cluster = _cluster.Read(result);
        return new SimulateRequest(result.GetValue(_model)!, _target.Read(result), _data.ReadOverride(result), samples, streams, chunk,
            result.GetValue(_report), cluster, result.GetValue(_json));
    }
}
