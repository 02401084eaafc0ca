using Akka.Event;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Runtime.Session;

/// <summary>
/// A spike tap on the resident mesh (<see cref="MeshDeployment.WatchAsync"/>): it shows the counts the fixed-point golden
/// model records for that population and stream, changes nothing any stream computes, keeps at most its capacity, refuses
/// a population it cannot show by name, and once disposed the cores send it nothing. Generated networks and two nodes:
/// the contract (Contract/ResidentMeshContract.cs).
/// </summary>
public class SpikeWatchTests : TestKit
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>A random chain whose first population is quantized and split over two cores of the test profile, and spikes.</summary>
    private static readonly CompiledMesh Split = Enumerable.Range(1, 200)
        .Select(seed => Compiler.Compile(MeshRuntimeTests.RandomNetwork((ulong)seed), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement()))
        .First(m => m.Network.Populations[0].IsQuantized && m.Cores.Count(k => k.Population == "p0") > 1
            && FixedPointSimulator.Create(m.Discretized.FixedPoint()).RecordCounts("p0", Input(m, 30, 9), 1, 30).Counts.Any(n => n != 0));

    private static double[] Input(CompiledMesh mesh, int steps, ulong seed)
    {
        var g = new SplitMix64(seed);
        return [.. Enumerable.Range(0, steps * mesh.Network.Input.Dimensions).Select(_ => 2 * g.NextDouble() - 1)];
    }

    private Task<MeshDeployment> Deploy(int slots) => MeshDeployment.StartAsync(Sys, Split, DeploymentOptions.Local(slots), CancellationToken.None);

    private static async Task<List<T>> All<T>(IAsyncEnumerable<T> items)
    {
        using var timeout = new CancellationTokenSource(Limit);
        var list = new List<T>();
        await foreach (var x in items.WithCancellation(timeout.Token)) list.Add(x);
        return list;
    }

    /// <summary>Pushes the whole input in chunks of <paramref name="chunk"/> steps, closes, and returns every output.</summary>
    private static async Task<List<StreamOutput>> Run(MeshStream stream, double[] input, int chunk)
    {
        var outputs = All(stream.ReadAllAsync(CancellationToken.None));
        int dims = stream.Dimensions;
        for (int at = 0; at < input.Length; at += chunk * dims)
            await stream.PushAsync(input.AsMemory(at, Math.Min(chunk * dims, input.Length - at)), CancellationToken.None);
        stream.Complete();
        return await outputs;
    }

    [Fact]
    public async Task The_watched_counts_are_the_fixed_point_goldens_recorded_counts_step_for_step()
    {
        int steps = 30;
        var other = Input(Split, steps, 8);
        var watched = Input(Split, steps, 9);
        var expected = FixedPointSimulator.Create(Split.Discretized.FixedPoint()).RecordCounts("p0", watched, 1, steps);
        await using var d = await Deploy(2);
        var a = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        var b = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await using var watch = await d.WatchAsync(b, "p0", 64, CancellationToken.None);
        var seen = All(watch.Counts.ReadAllAsync(CancellationToken.None));
        await Task.WhenAll(Run(a, other, 7), Run(b, watched, 4));
        var counts = await seen;
        Assert.Equal(0, watch.FirstStep);
        Assert.Equal(Enumerable.Range(0, steps).Select(k => (long)k), counts.Select(n => n.Step));
        for (int t = 0; t < steps; t++) Assert.Equal(expected.Step(t).ToArray(), counts[t].Counts.ToArray());
    }

    [Fact]
    public async Task Watching_changes_no_streams_outputs()
    {
        int steps = 30;
        var inputs = new[] { Input(Split, steps, 8), Input(Split, steps, 9) };
        var reference = FixedPointSimulator.Create(Split.Discretized.FixedPoint());
        await using var d = await Deploy(2);
        var streams = new[] { await d.OpenAsync(StreamOptions.Default, CancellationToken.None), await d.OpenAsync(StreamOptions.Default, CancellationToken.None) };
        await using var watch = await d.WatchAsync(streams[0], "p0", 4, CancellationToken.None);
        var outputs = await Task.WhenAll(Run(streams[0], inputs[0], 5), Run(streams[1], inputs[1], 30));
        for (int s = 0; s < 2; s++)
            for (int t = 0; t < steps; t++)
                Assert.Equal(reference.Run(inputs[s].AsSpan(0, (t + 1) * Split.Network.Input.Dimensions), 1, t + 1).Outputs.Row(0).ToArray(), outputs[s][t].Activity.ToArray());
    }

    [Fact]
    public async Task A_watcher_that_never_reads_keeps_at_most_its_capacity_the_newest_steps()
    {
        int steps = 50, capacity = 4;
        await using var d = await Deploy(1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await using var watch = await d.WatchAsync(s, "p0", capacity, CancellationToken.None);
        await Run(s, Input(Split, steps, 3), 50);
        // Dropping the oldest first, the oldest kept is steps − capacity once the last step is in.
        using (var timeout = new CancellationTokenSource(Limit))
            while (!(watch.Counts.TryPeek(out var oldest) && oldest.Step == steps - capacity)) await Task.Delay(10, timeout.Token);
        Assert.Equal(capacity, watch.Counts.Count);
        Assert.Equal([46L, 47, 48, 49], (await All(watch.Counts.ReadAllAsync(CancellationToken.None))).Select(n => n.Step));
    }

    [Fact]
    public async Task An_unknown_population_is_refused_naming_it_and_the_ones_there_are()
    {
        await using var d = await Deploy(1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => d.WatchAsync(s, "nope", 8, CancellationToken.None));
        Assert.StartsWith($"no population 'nope' (populations: {string.Join(", ", Split.Network.Populations.Select(p => p.Name))})", e.Message);
    }

    [Fact]
    public async Task A_non_spiking_population_is_refused_naming_the_quantized_ones()
    {
        await using var d = await Deploy(1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => d.WatchAsync(s, "out", 8, CancellationToken.None));
        Assert.StartsWith($"population 'out' is not quantized: it sends activities, not spike counts (quantized populations: {string.Join(", ", Split.Network.Populations.Where(p => p.IsQuantized).Select(p => p.Name))})", e.Message);
    }

    [Fact]
    public async Task A_closed_stream_cannot_be_watched()
    {
        await using var d = await Deploy(1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await s.CloseAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => d.WatchAsync(s, "p0", 8, CancellationToken.None));
        Assert.Equal($"stream {s.Id} is not open on this deployment", e.Message);
    }

    [Fact]
    public async Task Once_the_watch_is_disposed_the_cores_send_it_nothing()
    {
        await using var d = await Deploy(1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        var outputs = s.Outputs;
        var watch = await d.WatchAsync(s, "p0", 8, CancellationToken.None);
        await s.PushAsync(Input(Split, 5, 1), CancellationToken.None);
        using (var timeout = new CancellationTokenSource(Limit))
            while (watch.Counts.Count < 5) await Task.Delay(10, timeout.Token);
        for (int t = 0; t < 5; t++) await outputs.ReadAsync(new CancellationTokenSource(Limit).Token);
        await watch.DisposeAsync();
        // Whatever a core sent the stopped watcher would be a dead letter.
        var letters = CreateTestProbe();
        Sys.EventStream.Subscribe(letters.Ref, typeof(DeadLetter));
        await s.PushAsync(Input(Split, 20, 2), CancellationToken.None);
        for (int t = 0; t < 20; t++) await outputs.ReadAsync(new CancellationTokenSource(Limit).Token);
        var dead = letters.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => ((DeadLetter)m).Message);
        Assert.DoesNotContain(dead, m => m is TapCounts);
        Assert.Equal(5, (await All(watch.Counts.ReadAllAsync(CancellationToken.None))).Count);
    }
}
