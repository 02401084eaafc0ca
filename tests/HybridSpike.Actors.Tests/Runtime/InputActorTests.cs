using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using HybridSpike.Actors.Runtime;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>The input actor: nothing before the run starts it, then at most a window of steps ahead of the slowest core.</summary>
public class InputActorTests : TestKit
{
    [Fact]
    public void The_input_runs_at_most_a_window_ahead_of_the_slowest_core_and_sends_every_step_once()
    {
        const int steps = 100, streams = 2, cores = 3;
        var inputs = ImmutableArray.Create(Enumerable.Range(0, streams * steps).Select(i => i / 1000.0).ToArray());
        var core = CreateTestProbe();
        var input = Sys.ActorOf(Props.Create(() => new InputActor(inputs, streams, steps, 1, cores)));
        input.Tell(new Progress(0, 8));
        core.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // not started: nothing yet
        input.Tell(new StartInput([core.Ref]));
        for (int t = 0; t < InputActor.Window; t++)
        {
            var m = core.ExpectMsg<InputPayloads>();
            Assert.Equal(t, m.Step);
            Assert.Equal([FixedPoint.Payload(inputs[t]), FixedPoint.Payload(inputs[steps + t])], m.Values.ToArray()); // [stream, dim]
        }
        core.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        input.Tell(new Progress(1, 16));
        core.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // core 2 has reported nothing: the slowest is at 0
        input.Tell(new Progress(2, 8));
        for (int t = InputActor.Window; t < 8 + InputActor.Window; t++) Assert.Equal(t, core.ExpectMsg<InputPayloads>().Step);
        core.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        foreach (var c in Enumerable.Range(0, cores)) input.Tell(new Progress(c, 96));
        for (int t = 8 + InputActor.Window; t < steps; t++) Assert.Equal(t, core.ExpectMsg<InputPayloads>().Step);
        core.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // never beyond the last step
    }
}
