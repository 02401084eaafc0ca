using System.Collections.Immutable;
using Akka.Actor;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Recovery;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Actors.Tests.Cluster;
using HybridSpike.Actors.Tests.Runtime;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// The recovery clause of the contract (docs/cluster.md, "Recovery"): a mesh over several cluster nodes (actor systems in
/// this process on loopback, every message between them serialized) that loses a node in the middle of its streams gives
/// every stream's output at every step exactly as the fixed-point golden model does, as if nothing had happened: no output
/// missing, none twice, none different; the same telemetry as a run without the fault; a spike tap that gives every step
/// once, as the golden model records it. Random networks, kill steps, recovery intervals (3 mesh steps: a node is nearly
/// always lost while a recovery point is being taken) and assignments; the recovery is reported, naming the lost node.
/// </summary>
public sealed class RecoveryContract
{
    /// <summary>One case: the network, where it is cut, how often recovery points are taken, how cores are dealt.</summary>
    public sealed record Case(ulong Seed, int KillAt, int Interval, NodeAssignment Assignment, int Victim)
    {
        public override string ToString() => $"network {Seed}; node {Victim} killed after stream 0's output of step {KillAt}; a recovery point every {Interval} steps; {Assignment}";
    }

    internal const int Streams = 2, Steps = 160;

    private static readonly Gen<Case> Cases =
        from seed in Gen.Choose(1, 10_000)
        from kill in Gen.Choose(2, Steps - 40)
        from interval in Gen.Elements(3, 17, 64, 1000)
        from assignment in Gen.Elements(NodeAssignment.RoundRobin, NodeAssignment.Blocks)
        from victim in Gen.Choose(1, 2)
        select new Case((ulong)seed, kill, interval, assignment, victim);

    [Property(MaxTest = 4)]
    public Property A_node_lost_mid_stream_is_recovered_with_every_output_as_the_golden_model_gives() =>
        Prop.ForAll(Arb.From(Cases), c => Check(c).GetAwaiter().GetResult());

    /// <summary>Runs one case on a fresh three-node cluster; a violation says what differed.</summary>
    internal static async Task Check(Case c)
    {
        // The split brain resolver downs the dead node 2 s after the cluster settles (production: 20 s, docs/cluster.md): the
        // downing that follows a recovery, or comes during it, must not disturb it.
        await using var cluster = await TestCluster.StartAsync(3, extra: "akka.cluster.split-brain-resolver.stable-after = 2s");
        var net = MeshRuntimeTests.RandomNetwork(c.Seed);
        var mesh = Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var victim = cluster.Systems[c.Victim];
        var assigned = CoreAssignment.Assign(mesh, 3, c.Assignment);
        if (!assigned.Contains(c.Victim)) return;   // the victim would run no core: nothing to recover (blocks over few cores)
        var options = MeshRunOptions.OnNodes(cluster.Addresses, c.Assignment).WithSnapshotInterval(c.Interval);
        var tap = mesh.Network.Populations.FirstOrDefault(p => p.IsQuantized)?.Name;
        var run = await Run(cluster.Systems[0], mesh, options, c.Seed, Streams, Steps, (stream, step) =>
        {
            if (stream == 0 && step == c.KillAt) _ = victim.Terminate();   // at once, no leave: as a killed process
        }, tap);
        if (tap is not null) SameTap(mesh, tap, c.Seed, run.Tapped!, c.ToString());
        var faultFree = await Run(cluster.Systems[0], mesh, MeshRunOptions.Local, c.Seed, Streams, Steps, (_, _) => { });
        SameTraffic(faultFree.Telemetry, run.Telemetry, c.ToString());
        for (int s = 0; s < Streams; s++)
            ResidentMeshContract.SameOutputs(run.Expected[s], [.. run.Outputs[s].Select(o => (o.Step, (IReadOnlyList<double>)o.Activity))], $"{c}: stream {s}");
        if (run.Recoveries.Count != 1) throw new ContractViolation($"{c}: {run.Recoveries.Count} recoveries reported, expected 1");
        var lost = ClusterMesh.SelfAddress(victim);
        if (!run.Recoveries[0].Lost.Select(l => l.Node).Contains(lost)) throw new ContractViolation($"{c}: the recovery names {string.Join(", ", run.Recoveries[0].Lost)}, not {lost}");
        var moved = Enumerable.Range(0, assigned.Length).Where(k => assigned[k] == c.Victim);
        if (!run.Recoveries[0].MovedCores.SequenceEqual(moved)) throw new ContractViolation($"{c}: cores [{string.Join(" ", run.Recoveries[0].MovedCores)}] moved, expected [{string.Join(" ", moved)}]");
    }

    internal sealed record Outcome(Dictionary<long, double[]>[] Expected, List<StreamOutput>[] Outputs, ImmutableList<MeshRecovery> Recoveries, MeshTelemetry Telemetry,
        List<PopulationCounts>? Tapped);

    /// <summary>The tap gave every step of stream 0 once, in order, each as the fixed-point golden model records it.</summary>
    internal static void SameTap(CompiledMesh mesh, string population, ulong seed, List<PopulationCounts> seen, string what)
    {
        var expected = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).RecordCounts(population, Inputs(mesh, seed, Streams, Steps)[0], 1, Steps);
        if (!seen.Select(n => n.Step).SequenceEqual(Enumerable.Range(0, Steps).Select(k => (long)k)))
            throw new ContractViolation($"{what}: the tap on '{population}' gave steps [{string.Join(" ", seen.Select(n => n.Step))}]");
        foreach (var n in seen)
        {
            var golden = expected.Step((int)n.Step);
            for (int u = 0; u < golden.Length; u++)
                if (golden[u] != n.Counts[u]) throw new ContractViolation($"{what}: the tap on '{population}', step {n.Step}, unit {u}: {n.Counts[u]}, the golden records {golden[u]}");
        }
    }

    /// <summary>The seeded inputs of a run: per stream, its steps × dimensions.</summary>
    internal static double[][] Inputs(CompiledMesh mesh, ulong seed, int streams, int steps)
    {
        int dims = mesh.Network.Input.Dimensions;
        var g = new SplitMix64(seed * 31 + 7);
        return [.. Enumerable.Range(0, streams).Select(_ => Enumerable.Range(0, steps * dims).Select(_ => g.NextDouble()).ToArray())];
    }

    /// <summary>Every core's counts, step by step, equal (telemetry counts each step once, whatever was lost and replayed).</summary>
    internal static void SameTraffic(MeshTelemetry expected, MeshTelemetry actual, string what)
    {
        foreach (var (e, a) in expected.Cores.Zip(actual.Cores))
        {
            void Same(string field, ImmutableArray<long> x, ImmutableArray<long> y)
            {
                if (!x.SequenceEqual(y)) throw new ContractViolation($"{what}: core {e.Core}'s {field} per step [{string.Join(" ", y)}], fault-free [{string.Join(" ", x)}]");
            }
            Same("synaptic events", e.SynapticEventsPerStep, a.SynapticEventsPerStep);
            Same("neuron updates", e.NeuronUpdatesPerStep, a.NeuronUpdatesPerStep);
            Same("spikes", e.SpikesPerStep, a.SpikesPerStep);
            Same("packets received", e.PacketsReceivedPerStep, a.PacketsReceivedPerStep);
            foreach (var (to, packets) in e.PacketsToPerStep) Same($"packets to core {to}", packets, a.PacketsToPerStep[to]);
        }
    }

    /// <summary>
    /// <paramref name="streams"/> streams of <paramref name="steps"/> seeded inputs each, every step read, pushed a few steps at
    /// a time with short pauses (so that the run lasts long enough to lose a node in it); <paramref name="onOutput"/> sees
    /// every output as it is read, <paramref name="beforePush"/> (stream, step) each chunk before it is pushed.
    /// </summary>
    internal static async Task<Outcome> Run(ActorSystem coordinator, CompiledMesh mesh, MeshRunOptions options, ulong seed, int streams, int steps, Action<int, long> onOutput,
        string? tap = null, Func<int, int, Task>? beforePush = null)
    {
        int dims = mesh.Network.Input.Dimensions;
        var inputs = Inputs(mesh, seed, streams, steps);
        var expected = inputs.Select(x => ResidentMeshContract.Offline(mesh, x, dims, Enumerable.Range(0, steps).Select(k => (long)k))
            ?? throw new ContractViolation("the case overflows the fixed-point arithmetic")).ToArray();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var deployment = await MeshDeployment.StartAsync(coordinator, mesh, new DeploymentOptions(streams, options, false, null), timeout.Token);
        var outputs = new List<StreamOutput>[streams];
        var opened = new MeshStream[streams];
        for (int s = 0; s < streams; s++) opened[s] = await deployment.OpenAsync(StreamOptions.Default, timeout.Token);
        // A spike tap on stream 0 from its first step, if asked for: it must go on across the recovery, each step once.
        await using var watch = tap is null ? null : await deployment.WatchAsync(opened[0], tap, steps, timeout.Token);
        var tapped = watch is null ? Task.FromResult<List<PopulationCounts>?>(null) : Task.Run(async () =>
        {
            var list = new List<PopulationCounts>();
            await foreach (var n in watch.Counts.ReadAllAsync(timeout.Token)) list.Add(n);
            return (List<PopulationCounts>?)list;
        });
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            var stream = opened[s];
            var mine = outputs[s] = [];
            var reading = Task.Run(async () =>
            {
                await foreach (var o in stream.ReadAllAsync(timeout.Token))
                {
                    mine.Add(o);
                    onOutput(s, o.Step);
                }
            });
            for (int at = 0; at < steps; at += 4)
            {
                if (beforePush is not null) await beforePush(s, at);
                await stream.PushAsync(inputs[s].AsMemory(at * dims, Math.Min(4, steps - at) * dims), timeout.Token);
                await Task.Delay(3, timeout.Token);
            }
            stream.Complete();
            await reading;
            await stream.Completion;
        }));
        var telemetry = await deployment.CollectTelemetryAsync(streams, steps, timeout.Token);
        return new Outcome(expected, outputs, deployment.Recoveries, telemetry, await tapped);
    }
}
