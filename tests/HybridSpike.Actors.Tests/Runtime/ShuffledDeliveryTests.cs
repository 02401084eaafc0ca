using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using HybridSpike.Mapping.Compile;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>The opt-in delivery perturbation and the run options.</summary>
public class ShuffledDeliveryTests : TestKit
{
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(DeliveryShuffle.MaxHoldLimit)]
    public void A_shuffler_releases_every_message_exactly_once_in_a_scrambled_order(int maxHold)
    {
        var shuffler = Sys.ActorOf(Props.Create(() => new ShuffledDelivery(TestActor, new DeliveryShuffle(3, maxHold), 0)));
        var sent = Enumerable.Range(0, 300).ToList();
        foreach (var i in sent) shuffler.Tell(i);
        var received = Enumerable.Range(0, sent.Count).Select(_ => ExpectMsg<int>(TimeSpan.FromSeconds(10))).ToList();
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(sent, received.Order());
        Assert.NotEqual(sent, received);
        // Some message overtakes many sent before it.
        Assert.Contains(Enumerable.Range(0, received.Count), k => received.Take(k).Count(x => x > received[k]) >= 10);
    }

    private static NetworkDescription Chain() => new(
        [new Population("a", 4, Activation.Relu, 4, [], InitialStateMode.Uniform, 1), new Population("out", 2, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
        [new Connection("input", "a", new DenseWeights(Matrix.Create(4, 1, (i, _) => 0.5 + i)), Delay.SameStep),
         new Connection("a", "a", new DenseWeights(Matrix.Create(4, 4, (i, j) => i == j ? 0.25 : 0)), Delay.OneStep),
         new Connection("a", "out", new DenseWeights(Matrix.Create(2, 4, (i, j) => i == j % 2 ? 1 : 0)), Delay.SameStep)],
        new InputMapping(1, "t"), new OutputMapping("out", OutputMapping.LastStep));

    [Fact]
    public async Task Bad_options_are_refused_by_field_name()
    {
        var mesh = Compiler.Compile(Chain(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => MeshRuntime.RunAsync(Sys, mesh, [1.0], 1, 1, null,
            MeshRunOptions.Local with { Shuffle = new DeliveryShuffle(1, -1), Timeout = TimeSpan.Zero }, CancellationToken.None));
        Assert.Contains("shuffle.maxHold: must be in 0..1000, got -1", e.Message);
        Assert.Contains("timeout: must be positive", e.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => MeshRuntime.RunAsync(Sys, mesh, [], 1, 0, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_run_that_outlasts_its_timeout_fails_with_a_timeout_naming_the_run()
    {
        var mesh = Compiler.Compile(Chain(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new SequentialPlacement());
        const int steps = 200_000;
        var run = MeshRuntime.RunAsync(Sys, mesh, ImmutableArray.Create(new double[steps]), 1, steps, null,
            MeshRunOptions.Local.WithTimeout(TimeSpan.FromMilliseconds(50)), CancellationToken.None);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("(2 cores, 1 streams x 200000 steps) did not finish within 00:00:00.05", e.Message);
    }

    [Fact]
    public async Task The_options_record_has_a_plain_default_and_shuffled_runs_give_the_plain_result()
    {
        Assert.Equal(MeshRunOptions.Local, MeshRunOptions.Default);
        Assert.True(MeshRunOptions.Default.IsLocal);
        Assert.Null(MeshRunOptions.Default.Shuffle);
        Assert.Equal(4, new DeliveryShuffle(1).MaxHold);
        var mesh = Compiler.Compile(Chain(), HybridSpike.Mapping.Profiles.Profiles.Get("test"), new RandomPlacement(2));
        var inputs = ImmutableArray.Create(Enumerable.Range(0, 3 * 40).Select(i => (i % 9) / 9.0).ToArray());
        var plain = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, inputs, 3, 40, null, CancellationToken.None);
        var shuffled = await MeshRuntime.RunWithTelemetryAsync(Sys, mesh, inputs, 3, 40, null, MeshRunOptions.Local.WithShuffle(new DeliveryShuffle(8, 6)), CancellationToken.None);
        Assert.Equal(plain.Result.Outputs.ToArray(), shuffled.Result.Outputs.ToArray());
        Assert.Equal(plain.Telemetry.Spikes, shuffled.Telemetry.Spikes);
        Assert.Equal(plain.Telemetry.Packets, shuffled.Telemetry.Packets);
    }
}
