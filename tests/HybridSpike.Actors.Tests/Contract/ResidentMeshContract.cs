using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Actors.Tests.Cluster;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// One stream of a schedule: its length, the chunk sizes its input is pushed in, the steps whose output it reads, a
/// pause before each push, and a pause of its reader after each output it takes (a lagging reader: with the contract's
/// small output buffer the mesh then holds the stream's input back).
/// </summary>
public sealed record StreamSpec(int Steps, ImmutableArray<int> Chunks, ImmutableArray<long> Reads, int DelayMs, ulong InputSeed, int ReadPauseMs)
{
    public override string ToString() =>
        $"{Steps} steps in chunks [{string.Join(" ", Chunks)}], read at [{string.Join(" ", Reads)}]{(DelayMs > 0 ? $", {DelayMs} ms apart" : "")}{(ReadPauseMs > 0 ? $", reader pausing {ReadPauseMs} ms" : "")}";

    /// <summary>The stream's input [step, dim].</summary>
    public double[] Inputs(int dims)
    {
        var g = new SplitMix64(InputSeed);
        return [.. Enumerable.Range(0, Steps * dims).Select(_ => g.NextInt(129) / 64.0 - 1)];
    }
}

/// <summary>Streams opened, pushed and closed concurrently over a mesh of <see cref="Slots"/> slots (fewer slots than streams: some wait for one).</summary>
public sealed record Schedule(int Slots, ImmutableArray<StreamSpec> Streams)
{
    public override string ToString() => $"{Slots} slots; streams: " + string.Join("; ", Streams.Select((s, i) => $"#{i} {s}"));
}

/// <summary>Generators of schedules that shrink to few streams, few steps, one chunk, one read, no pauses.</summary>
public static class ScheduleGen
{
    private static Gen<StreamSpec> Stream(int maxSteps) =>
        from steps in Gen.Choose(1, maxSteps)
        from cutCount in Gen.Choose(0, 4)
        from cuts in Gen.Choose(1, steps).ArrayOf(cutCount)
        from readCount in Gen.Choose(0, 3)
        from reads in Gen.Choose(0, steps - 1).ArrayOf(readCount)
        from delay in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        from seed in Gen.Choose(0, int.MaxValue)
        from readPause in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 5)))
        select new StreamSpec(steps, Chunks(steps, cuts), [.. reads.Select(r => (long)r).Append(steps - 1).Distinct().Order()], delay, (ulong)seed, readPause);

    private static ImmutableArray<int> Chunks(int steps, IEnumerable<int> cuts)
    {
        var points = cuts.Where(c => c > 0 && c < steps).Distinct().Order().Prepend(0).Append(steps).ToArray();
        return [.. points.Zip(points.Skip(1), (a, b) => b - a)];
    }

    public static Gen<Schedule> Schedules(int maxSteps) =>
        from count in Gen.Choose(1, 5)
        from streams in Stream(maxSteps).ArrayOf(count)
        from slots in Gen.Choose(1, count)
        select new Schedule(slots, [.. streams]);

    public static IEnumerable<Schedule> Shrink(Schedule s)
    {
        if (s.Streams.Length > 1)
            for (int i = 0; i < s.Streams.Length; i++)
            {
                var fewer = s.Streams.RemoveAt(i);
                yield return new Schedule(Math.Min(s.Slots, fewer.Length), fewer);
            }
        if (s.Slots < s.Streams.Length) yield return s with { Slots = s.Streams.Length };
        for (int i = 0; i < s.Streams.Length; i++)
        {
            var x = s.Streams[i];
            if (x.DelayMs > 0) yield return s with { Streams = s.Streams.SetItem(i, x with { DelayMs = 0 }) };
            if (x.ReadPauseMs > 0) yield return s with { Streams = s.Streams.SetItem(i, x with { ReadPauseMs = 0 }) };
            if (x.Chunks.Length > 1) yield return s with { Streams = s.Streams.SetItem(i, x with { Chunks = [x.Steps] }) };
            if (x.Reads.Length > 1) yield return s with { Streams = s.Streams.SetItem(i, x with { Reads = [x.Steps - 1] }) };
            if (x.Steps > 1)
            {
                int half = x.Steps / 2;
                yield return s with { Streams = s.Streams.SetItem(i, x with { Steps = half, Chunks = [half], Reads = [half - 1] }) };
            }
        }
    }

    public static Arbitrary<Schedule> Arbitrary(int maxSteps) => Arb.From(Schedules(maxSteps), Shrink);
}

/// <summary>
/// The resident mesh's clauses of the contract: a stream's outputs equal those of the same input run alone offline
/// (the fixed-point reference), whatever other streams are open, when they start and stop, the chunks their input
/// comes in and the timing of its arrival; and a mesh snapshotted at a step boundary and restored onto fresh cores
/// continues exactly. A subclass supplies where the mesh runs (<see cref="Deploy"/>): in one actor system, with
/// shuffled delivery, over cluster nodes.
/// </summary>
public abstract class ResidentMeshContract
{
    /// <summary>
    /// The output buffer of the contract's actor systems (<c>hybridspike.mesh.session.output-buffer</c>): small, so that
    /// a lagging reader makes the mesh hold its stream's input back, and the outputs must not change for it.
    /// </summary>
    public const int ContractOutputBuffer = 2;

    protected abstract string SubjectName { get; }

    /// <summary>Deploys <paramref name="mesh"/> with these options' slots (and restore) where the subject runs.</summary>
    protected abstract Task<MeshDeployment> Deploy(CompiledMesh mesh, DeploymentOptions options, ContractCase c);

    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The reference: the stream run alone on the fixed-point golden model, its output after each read step (null: the case overflows).</summary>
    public static Dictionary<long, double[]>? Offline(CompiledMesh mesh, double[] inputs, int dims, IEnumerable<long> reads)
    {
        var sim = FixedPointSimulator.Create(mesh.Discretized.FixedPoint());
        var result = new Dictionary<long, double[]>();
        try
        {
            foreach (var k in reads)
                result[k] = sim.Run(inputs.AsSpan(0, (int)(k + 1) * dims), 1, (int)k + 1).Outputs.Row(0).ToArray();
        }
        catch (OverflowException) { return null; } // the case overflows the fixed-point arithmetic: not a streaming case
        return result;
    }

    private static void SameOutputs(IReadOnlyDictionary<long, double[]> expected, IReadOnlyList<StreamOutput> actual, string what) =>
        SameOutputs(expected, [.. actual.Select(o => (o.Step, (IReadOnlyList<double>)o.Activity))], what);

    /// <summary>The outputs at exactly the expected steps, each bit for bit the offline one; else a violation saying where.</summary>
    public static void SameOutputs(IReadOnlyDictionary<long, double[]> expected, IReadOnlyList<(long Step, IReadOnlyList<double> Activity)> actual, string what)
    {
        var steps = actual.Select(o => o.Step).ToArray();
        if (!steps.SequenceEqual(expected.Keys.Order()))
            throw new ContractViolation($"{what}: outputs at steps [{string.Join(" ", steps)}], expected [{string.Join(" ", expected.Keys.Order())}]");
        foreach (var (step, activity) in actual)
        {
            var e = expected[step];
            if (activity.Count != e.Length) throw new ContractViolation($"{what}: step {step}: {activity.Count} outputs, offline {e.Length}");
            for (int i = 0; i < e.Length; i++)
                if (BitConverter.DoubleToInt64Bits(e[i]) != BitConverter.DoubleToInt64Bits(activity[i]))
                    throw new ContractViolation($"{what}: step {step}, output {i}: {activity[i]:R}, offline {e[i]:R}");
        }
    }

    private static async Task<List<StreamOutput>> RunStream(MeshDeployment d, StreamSpec s, double[] inputs, int dims, CancellationToken cancel)
    {
        var stream = await d.OpenAsync(StreamOptions.Default.WithReads(OutputReads.AtSteps(s.Reads)), cancel);
        var outputs = new List<StreamOutput>();
        var reading = Task.Run(async () =>
        {
            await foreach (var o in stream.ReadAllAsync(cancel))
            {
                outputs.Add(o);
                if (s.ReadPauseMs > 0) await Task.Delay(s.ReadPauseMs, cancel);
            }
        }, cancel);
        int at = 0;
        foreach (var chunk in s.Chunks)
        {
            if (s.DelayMs > 0) await Task.Delay(s.DelayMs, cancel);
            await stream.PushAsync(inputs.AsMemory(at * dims, chunk * dims), cancel);
            at += chunk;
        }
        stream.Complete();
        await reading;
        await stream.Completion;
        return outputs;
    }

    [Property(MaxTest = 30)]
    public Property Streams_opened_pushed_and_closed_at_random_each_give_their_offline_outputs() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), ScheduleGen.Arbitrary(24), (c, schedule) =>
        {
            var mesh = c.Compile();
            int dims = mesh.Network.Input.Dimensions;
            var inputs = schedule.Streams.Select(s => s.Inputs(dims)).ToArray();
            var expected = schedule.Streams.Select((s, i) => Offline(mesh, inputs[i], dims, s.Reads)).ToArray();
            if (expected.Any(e => e is null)) return Prop.ToProperty(true).Classify(true, "overflows: skipped");
            using var timeout = new CancellationTokenSource(CaseTimeout);
            var outputs = Task.Run(async () =>
            {
                await using var d = await Deploy(mesh, DeploymentOptions.Local(schedule.Slots), c);
                return await Task.WhenAll(schedule.Streams.Select((s, i) => RunStream(d, s, inputs[i], dims, timeout.Token)));
            }).GetAwaiter().GetResult();
            for (int i = 0; i < outputs.Length; i++)
                SameOutputs(expected[i]!, outputs[i], $"{SubjectName}, stream #{i} of {schedule}\ncase: {c}");
            return Prop.ToProperty(true)
                .Classify(schedule.Slots < schedule.Streams.Length, "streams wait for a slot")
                .Classify(schedule.Streams.Any(s => s.Chunks.Length > 1), "chunked input")
                .Classify(schedule.Streams.Length > 1, "several streams")
                .Classify(schedule.Streams.Any(s => s.ReadPauseMs > 0 && s.Reads.Length > ContractOutputBuffer), "a reader lags past the output buffer");
        });

    [Property(MaxTest = 25)]
    public Property A_mesh_restored_from_a_snapshot_continues_exactly() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), Gen.Choose(0, 100).ToArbitrary(), (c, cutPercent) =>
        {
            var mesh = c.Compile();
            int dims = mesh.Network.Input.Dimensions, streams = Math.Min(c.Streams, 3), steps = Math.Max(2, c.Steps);
            int cut = Math.Clamp(steps * cutPercent / 100, 0, steps - 1);
            var specs = Enumerable.Range(0, streams).Select(i => new StreamSpec(steps, [steps], [.. Enumerable.Range(0, steps).Select(k => (long)k)], 0, (ulong)(77 + i), 0)).ToArray();
            var inputs = specs.Select(s => s.Inputs(dims)).ToArray();
            var expected = specs.Select((s, i) => Offline(mesh, inputs[i], dims, s.Reads)).ToArray();
            if (expected.Any(e => e is null)) return Prop.ToProperty(true).Classify(true, "overflows: skipped");
            using var timeout = new CancellationTokenSource(CaseTimeout);
            var (uninterrupted, restored) = Task.Run(async () =>
            {
                var token = timeout.Token;
                await using var first = await Deploy(mesh, DeploymentOptions.Local(streams), c);
                var opened = new MeshStream[streams];
                var seen = new List<StreamOutput>[streams];
                for (int i = 0; i < streams; i++)
                {
                    opened[i] = await first.OpenAsync(StreamOptions.Default, token);
                    seen[i] = [];
                    await opened[i].PushAsync(inputs[i].AsMemory(0, cut * dims), token);
                    for (int k = 0; k < cut; k++) seen[i].Add(await opened[i].Outputs.ReadAsync(token)); // every pushed step taken
                }
                var snapshot = await first.SnapshotAsync(token);
                // The original carries on; a fresh deployment restored from the snapshot gets the same rest of the input.
                await using var second = await Deploy(mesh, DeploymentOptions.Local(streams).RestoringFrom(snapshot), c);
                var resumed = new List<StreamOutput>[streams];
                for (int i = 0; i < streams; i++)
                {
                    var position = snapshot.Streams.Single(p => p.StreamId == opened[i].Id);
                    if (position.NextStep != cut) throw new ContractViolation($"stream {i} stood at step {position.NextStep} at the snapshot, {cut} expected");
                    var again = await second.ResumeAsync(position, StreamOptions.Default, token);
                    foreach (var (stream, list) in new[] { (opened[i], seen[i]), (again, resumed[i] = []) })
                    {
                        await stream.PushAsync(inputs[i].AsMemory(cut * dims), token);
                        stream.Complete();
                        await foreach (var o in stream.ReadAllAsync(token)) list.Add(o);
                    }
                }
                return (seen, resumed);
            }).GetAwaiter().GetResult();
            for (int i = 0; i < streams; i++)
            {
                var where = $"{SubjectName}, stream {i}, snapshot after {cut} of {steps} steps\ncase: {c}";
                SameOutputs(expected[i]!, uninterrupted[i], where + " (uninterrupted)");
                SameOutputs(expected[i]!.Where(kv => kv.Key >= cut).ToDictionary(kv => kv.Key, kv => kv.Value), restored[i], where + " (restored)");
            }
            return Prop.ToProperty(true).Classify(cut == 0, "snapshot before any step").Classify(mesh.Cores.Length > 1, "several cores");
        });

    [Property(MaxTest = 25)]
    public Property A_spike_tap_shows_the_counts_the_golden_records() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), Gen.Choose(0, int.MaxValue).ToArbitrary(), (c, pick) =>
        {
            var mesh = c.Compile();
            var quantized = mesh.Network.Populations.Where(p => p.IsQuantized).ToArray();
            if (quantized.Length == 0) return Prop.ToProperty(true).Classify(true, "no quantized population: skipped");
            var population = quantized[pick % quantized.Length].Name;
            int dims = mesh.Network.Input.Dimensions, streams = Math.Min(c.Streams, 3), steps = c.Steps, watched = pick % streams;
            var specs = Enumerable.Range(0, streams).Select(i => new StreamSpec(steps, [steps], [steps - 1], 0, (ulong)(91 + i), 0)).ToArray();
            var inputs = specs.Select(s => s.Inputs(dims)).ToArray();
            RecordedCounts expected;
            try { expected = FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).RecordCounts(population, inputs[watched], 1, steps); }
            catch (OverflowException) { return Prop.ToProperty(true).Classify(true, "overflows: skipped"); }
            using var timeout = new CancellationTokenSource(CaseTimeout);
            var (first, seen) = Task.Run(async () =>
            {
                var token = timeout.Token;
                await using var d = await Deploy(mesh, DeploymentOptions.Local(streams), c);
                var opened = new MeshStream[streams];
                for (int i = 0; i < streams; i++) opened[i] = await d.OpenAsync(StreamOptions.Default.WithReads(OutputReads.AtSteps([steps - 1])), token);
                await using var watch = await d.WatchAsync(opened[watched], population, steps, token);
                var reading = Task.Run(async () =>
                {
                    var list = new List<PopulationCounts>();
                    await foreach (var n in watch.Counts.ReadAllAsync(token)) list.Add(n);
                    return list;
                }, token);
                await Task.WhenAll(opened.Select(async (stream, i) =>
                {
                    await stream.PushAsync(inputs[i], token);
                    stream.Complete();
                    await foreach (var _ in stream.ReadAllAsync(token)) { }
                }));
                return (watch.FirstStep, await reading);
            }).GetAwaiter().GetResult();
            var where = $"{SubjectName}, tap on '{population}' of stream {watched} of {streams}, {steps} steps\ncase: {c}";
            if (first != 0) throw new ContractViolation($"{where}: the tap began at step {first}, not at the stream's first");
            if (!seen.Select(n => n.Step).SequenceEqual(Enumerable.Range(0, steps).Select(k => (long)k)))
                throw new ContractViolation($"{where}: the tap gave steps [{string.Join(" ", seen.Select(n => n.Step))}]");
            foreach (var n in seen)
            {
                var golden = expected.Step((int)n.Step);
                for (int u = 0; u < golden.Length; u++)
                    if (golden[u] != n.Counts[u]) throw new ContractViolation($"{where}: step {n.Step}, unit {u}: the tap shows {n.Counts[u]}, the golden records {golden[u]}");
            }
            return Prop.ToProperty(true)
                .Classify(mesh.Cores.Count(k => k.Population == population) > 1, "population over several cores")
                .Classify(streams > 1, "several streams")
                .Classify(expected.Counts.Any(n => n != 0), "spikes");
        });
}

/// <summary>The resident mesh in one actor system.</summary>
public sealed class LocalResidentMeshContract(ActorSystemFixture actors) : ResidentMeshContract, IClassFixture<ActorSystemFixture>
{
    protected override string SubjectName => "the resident mesh";

    protected override Task<MeshDeployment> Deploy(CompiledMesh mesh, DeploymentOptions options, ContractCase c) =>
        MeshDeployment.StartAsync(actors.System, mesh, options, CancellationToken.None);
}

/// <summary>The resident mesh with every core's deliveries shuffled.</summary>
public sealed class ShuffledResidentMeshContract(ActorSystemFixture actors) : ResidentMeshContract, IClassFixture<ActorSystemFixture>
{
    protected override string SubjectName => "the resident mesh with shuffled delivery";

    protected override Task<MeshDeployment> Deploy(CompiledMesh mesh, DeploymentOptions options, ContractCase c) =>
        MeshDeployment.StartAsync(actors.System, mesh, options with { Run = options.Run.WithShuffle(c.Shuffle) }, CancellationToken.None);
}

/// <summary>Two cluster nodes in this process for a test class.</summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(2, extra: $"{TestCluster.Lenient}\nhybridspike.mesh.session.output-buffer = {ResidentMeshContract.ContractOutputBuffer}");   // no node dies here

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The resident mesh with its cores dealt round-robin over two cluster nodes (every message between them serialized).</summary>
public sealed class ClusterResidentMeshContract(TwoNodeFixture nodes) : ResidentMeshContract, IClassFixture<TwoNodeFixture>
{
    protected override string SubjectName => "the resident mesh on two nodes";

    protected override Task<MeshDeployment> Deploy(CompiledMesh mesh, DeploymentOptions options, ContractCase c) =>
        MeshDeployment.StartAsync(nodes.Cluster.Systems[0], mesh,
            options with { Run = MeshRunOptions.OnNodes(nodes.Cluster.Addresses, HybridSpike.Actors.Runtime.Deployment.NodeAssignment.RoundRobin) }, CancellationToken.None);
}

/// <summary>Two cluster nodes in this process that talk TLS to each other, with a certificate made for the fixture.</summary>
public sealed class TwoTlsNodeFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-tls-contract-").FullName;

    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var certificate = HybridSpike.Actors.Tests.Cluster.ClusterSecurityTests.MakeCertificate(_dir, "contract", "pw");
        var tls = HybridSpike.Actors.Cluster.ClusterTls.Read(
            Akka.Configuration.ConfigurationFactory.ParseString($"hybridspike.cluster.tls {{ enabled = on, certificate = \"{certificate}\", password = pw }}"), "fixture")!;
        Cluster = await TestCluster.StartAsync(2, null, $"{TestCluster.Lenient}\nhybridspike.mesh.session.output-buffer = {ResidentMeshContract.ContractOutputBuffer}", tls);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The resident mesh over two nodes whose every message crosses a mutual-TLS connection.</summary>
public sealed class TlsClusterResidentMeshContract(TwoTlsNodeFixture nodes) : ResidentMeshContract, IClassFixture<TwoTlsNodeFixture>
{
    protected override string SubjectName => "the resident mesh on two TLS nodes";

    protected override Task<MeshDeployment> Deploy(CompiledMesh mesh, DeploymentOptions options, ContractCase c)
    {
        Assert.All(nodes.Cluster.Addresses, a => Assert.Equal("akka.ssl.tcp", a.Protocol));
        return MeshDeployment.StartAsync(nodes.Cluster.Systems[0], mesh,
            options with { Run = MeshRunOptions.OnNodes(nodes.Cluster.Addresses, HybridSpike.Actors.Runtime.Deployment.NodeAssignment.RoundRobin) }, CancellationToken.None);
    }
}
