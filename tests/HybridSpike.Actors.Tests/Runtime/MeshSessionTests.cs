using Akka.Configuration;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Actors.Runtime.Session;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;
using HybridSpike.Core.Reference;
using HybridSpike.Mapping.Compile;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>
/// The session API of a resident mesh: bad input gets a clear error and leaves the stream usable, slots run out as the
/// caller chose, a failing core ends the streams instead of hanging them, and a newer model takes over new streams while
/// the older one finishes its own. Agreement with the offline reference over random schedules is the contract's
/// (Contract/ResidentMeshContract.cs).
/// </summary>
public class MeshSessionTests() : TestKit(ConfigurationFactory.ParseString("hybridspike.mesh.session { stream-buffer = 8, output-buffer = 3 }"))
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static CompiledMesh Mesh(ulong seed) =>
        Compiler.Compile(MeshRuntimeTests.RandomNetwork(seed), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());

    private static double[] Input(CompiledMesh mesh, int steps, ulong seed)
    {
        var g = new SplitMix64(seed);
        return [.. Enumerable.Range(0, steps * mesh.Network.Input.Dimensions).Select(_ => g.NextDouble())];
    }

    private static double[] Offline(CompiledMesh mesh, double[] input, int steps) =>
        FixedPointSimulator.Create(mesh.Discretized.FixedPoint()).Run(input, 1, steps).Outputs.Row(0).ToArray();

    private static async Task<double[]> Last(MeshStream stream)
    {
        StreamOutput? last = null;
        await foreach (var o in stream.ReadAllAsync(CancellationToken.None).WithCancellation(new CancellationTokenSource(Limit).Token)) last = o;
        return [.. last!.Activity];
    }

    private static StreamOptions LastOf(int steps) => StreamOptions.Default.WithReads(OutputReads.AtSteps([steps - 1]));

    private Task<MeshDeployment> Deploy(CompiledMesh mesh, int slots) => MeshDeployment.StartAsync(Sys, mesh, DeploymentOptions.Local(slots), CancellationToken.None);

    [Fact]
    public async Task Pushing_after_complete_is_refused_naming_the_stream()
    {
        await using var d = await Deploy(Mesh(1), 1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        s.Complete();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => s.PushAsync(new double[d.Mesh.Network.Input.Dimensions], CancellationToken.None).AsTask());
        Assert.Contains($"stream {s.Id} is closed", e.Message);
    }

    [Fact]
    public async Task A_chunk_with_a_partial_step_is_refused_and_the_stream_goes_on_as_if_it_had_not_come()
    {
        // A network with several input dimensions, so that a chunk can end inside a step.
        var mesh = Enumerable.Range(2, 50).Select(seed => Mesh((ulong)seed)).First(m => m.Network.Input.Dimensions > 1);
        int dims = mesh.Network.Input.Dimensions, steps = 6;
        var input = Input(mesh, steps, 3);
        await using var d = await Deploy(mesh, 1);
        var s = await d.OpenAsync(LastOf(steps), CancellationToken.None);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => s.PushAsync(new double[dims + 1], CancellationToken.None).AsTask());
        Assert.Contains("not a whole number of steps", e.Message);
        await s.PushAsync(input, CancellationToken.None);
        s.Complete();
        Assert.Equal(Offline(mesh, input, steps), await Last(s));
    }

    [Fact]
    public async Task A_value_that_is_not_finite_is_refused_naming_its_step_and_the_stream_stays_usable()
    {
        var mesh = Mesh(4);
        int dims = mesh.Network.Input.Dimensions, steps = 5;
        var input = Input(mesh, steps, 5);
        await using var d = await Deploy(mesh, 1);
        var s = await d.OpenAsync(LastOf(steps), CancellationToken.None);
        var bad = (double[])input.Clone();
        bad[2 * dims] = double.NaN;
        var e = await Assert.ThrowsAsync<ArgumentException>(() => s.PushAsync(bad, CancellationToken.None).AsTask());
        Assert.Contains("at step 2 of the chunk", e.Message);
        await s.PushAsync(input, CancellationToken.None);
        s.Complete();
        Assert.Equal(Offline(mesh, input, steps), await Last(s));
    }

    [Fact]
    public async Task Opening_more_streams_than_slots_is_refused_at_once_when_the_caller_chose_reject()
    {
        await using var d = await Deploy(Mesh(5), 1);
        await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await Assert.ThrowsAsync<NoFreeSlotException>(() => d.OpenAsync(StreamOptions.Default with { WhenNoSlot = WhenNoSlot.Reject }, CancellationToken.None));
    }

    [Fact]
    public async Task Opening_more_streams_than_slots_waits_for_a_slot_when_the_caller_chose_wait()
    {
        var mesh = Mesh(6);
        int steps = 4;
        await using var d = await Deploy(mesh, 1);
        var first = await d.OpenAsync(LastOf(steps), CancellationToken.None);
        var second = d.OpenAsync(LastOf(steps), CancellationToken.None);
        await Task.Delay(100);
        Assert.False(second.IsCompleted, "the second stream should wait while the only slot is taken");
        var input = Input(mesh, steps, 7);
        await first.PushAsync(input, CancellationToken.None);
        first.Complete();
        var next = await second.WaitAsync(Limit);
        Assert.Equal(first.Slot, next.Slot);
        await next.PushAsync(input, CancellationToken.None);
        next.Complete();
        Assert.Equal(Offline(mesh, input, steps), await Last(next)); // the reused slot starts afresh
    }

    /// <summary>Waits (bounded) until <paramref name="done"/> holds, polling: the mesh runs on its own threads.</summary>
    private static async Task Until(Func<bool> done, string what)
    {
        var until = DateTime.UtcNow + Limit;
        while (!done())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"not within {Limit}: {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_stream_whose_reader_stops_holds_at_most_the_output_buffer_and_the_rest_of_its_input_waits()
    {
        var mesh = Mesh(8);
        int steps = 7;
        var input = Input(mesh, steps, 9);
        await using var d = await Deploy(mesh, 1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);   // every step read
        await s.PushAsync(input, CancellationToken.None);
        await Until(() => s.UnreadOutputs >= 3, "3 unread outputs");
        await Task.Delay(200);   // a mesh that ignored the bound would go on writing outputs meanwhile
        Assert.Equal(3, s.UnreadOutputs);
        Assert.Equal(4, s.BufferedSteps);
    }

    [Fact]
    public async Task A_stream_held_back_by_its_reader_goes_on_when_it_reads_with_every_output_as_offline()
    {
        var mesh = Mesh(9);
        int steps = 7, dims = mesh.Network.Input.Dimensions;
        var input = Input(mesh, steps, 10);
        await using var d = await Deploy(mesh, 1);
        var s = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await s.PushAsync(input, CancellationToken.None);
        s.Complete();
        await Until(() => s.UnreadOutputs >= 3, "3 unread outputs");
        var read = new List<StreamOutput>();
        await foreach (var o in s.ReadAllAsync(new CancellationTokenSource(Limit).Token)) read.Add(o);
        Assert.Equal(Enumerable.Range(0, steps).Select(k => (long)k), read.Select(o => o.Step));
        for (int k = 0; k < steps; k++)
            Assert.Equal(Offline(mesh, input[..((k + 1) * dims)], k + 1), read[k].Activity.ToArray());
    }

    [Fact]
    public async Task A_stream_held_back_by_its_reader_does_not_hold_back_another_stream()
    {
        var mesh = Mesh(10);
        int steps = 7;
        var input = Input(mesh, steps, 11);
        await using var d = await Deploy(mesh, 2);
        var stalled = await d.OpenAsync(StreamOptions.Default, CancellationToken.None);
        await stalled.PushAsync(input, CancellationToken.None);
        await Until(() => stalled.UnreadOutputs >= 3, "3 unread outputs");
        var other = await d.OpenAsync(LastOf(steps), CancellationToken.None);
        await other.PushAsync(input, CancellationToken.None);
        other.Complete();
        Assert.Equal(Offline(mesh, input, steps), await Last(other));
    }

    [Fact]
    public async Task A_chunk_larger_than_the_free_buffer_is_refused_whole_when_the_caller_chose_reject()
    {
        var mesh = Mesh(7);
        int dims = mesh.Network.Input.Dimensions;
        await using var d = await Deploy(mesh, 1);
        var s = await d.OpenAsync(StreamOptions.Default with { WhenFull = WhenFull.Reject }, CancellationToken.None);
        var e = await Assert.ThrowsAsync<StreamFullException>(() => s.PushAsync(new double[9 * dims], CancellationToken.None).AsTask()); // the buffer holds 8
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public async Task A_core_that_fails_ends_its_streams_with_the_error_instead_of_hanging_them()
    {
        var mesh = Compiler.Compile(MeshRuntimeTests.OverflowingCore(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        await using var d = await Deploy(mesh, 2);
        var s = await d.OpenAsync(LastOf(5), CancellationToken.None);
        await s.PushAsync(Enumerable.Repeat(1.0, 5).ToArray(), CancellationToken.None);
        var e = await Assert.ThrowsAsync<StreamFailedException>(() => s.Completion.WaitAsync(Limit));
        Assert.Contains("a core failed", e.Message);
        await Assert.ThrowsAsync<StreamFailedException>(async () => { await foreach (var _ in s.ReadAllAsync(CancellationToken.None)) { } });
    }

    [Fact]
    public async Task A_newer_model_takes_the_new_streams_while_the_older_one_finishes_its_own_and_stops()
    {
        // Two models of the same input (a service's old and new weights).
        var a = Mesh(8);
        var b = Enumerable.Range(9, 50).Select(seed => Mesh((ulong)seed)).First(m => m.Network.Input.Dimensions == a.Network.Input.Dimensions);
        int steps = 6;
        var input = Input(a, steps, 11);
        var models = new ModelSwitch(await Deploy(a, 2));
        await using var _ = models;
        var old = models.Current;
        var onA = await models.OpenAsync(LastOf(steps), CancellationToken.None);
        await onA.PushAsync(input.AsMemory(0, 3 * a.Network.Input.Dimensions), CancellationToken.None);
        var retired = models.SwitchTo(await Deploy(b, 2));
        var onB = await models.OpenAsync(LastOf(steps), CancellationToken.None);
        await Assert.ThrowsAsync<DeploymentRetiringException>(() => old.OpenAsync(StreamOptions.Default, CancellationToken.None));
        await onB.PushAsync(input, CancellationToken.None);
        onB.Complete();
        Assert.Equal(Offline(b, input, steps), await Last(onB));
        Assert.False(retired.IsCompleted, "the older model still serves its open stream");
        await onA.PushAsync(input.AsMemory(3 * a.Network.Input.Dimensions), CancellationToken.None);
        onA.Complete();
        Assert.Equal(Offline(a, input, steps), await Last(onA));
        await retired.WaitAsync(Limit);
    }
}
