using HybridSpike.Actors.Runtime;
using Xunit;

namespace HybridSpike.Actors.Tests.Runtime;

/// <summary>A core's arrivals by mesh step (<see cref="ArrivalRing"/>): which sources a step still waits for, and steps beyond the ring's places.</summary>
public sealed class ArrivalRingTests
{
    // Source 0: the input (one core, read the same step); source 1: a population of two cores read a step late.
    private static ArrivalRing Ring() => new([4, 8], [1, 2], [true, false], [false, true]);

    [Fact]
    public void A_step_waits_for_every_piece_of_each_source_it_reads()
    {
        var ring = Ring();
        var e = ring.At(5);
        Assert.Equal(1, e.SameStepMissing);
        Assert.Equal(1, e.OneStepMissing);
        e.Arrived(0);
        Assert.Equal(0, e.SameStepMissing);
        e.Arrived(1);
        Assert.Equal(1, e.OneStepMissing);   // one of the source's two cores is in
        e.Arrived(1);
        Assert.Equal(0, e.OneStepMissing);
    }

    [Fact]
    public void A_step_nothing_of_which_has_arrived_is_not_found()
    {
        var ring = Ring();
        ring.At(3);
        Assert.Null(ring.Find(4));
        Assert.Null(ring.Find(3 + 64));      // the same place in the ring, another step
    }

    [Fact]
    public void More_live_steps_than_places_grow_the_ring_and_keep_each_step()
    {
        var ring = Ring();
        for (long t = 0; t < 200; t++) ring.At(t).Arrived(0);
        for (long t = 0; t < 200; t++)
        {
            var e = ring.Find(t);
            Assert.NotNull(e);
            Assert.Equal(t, e!.Step);
            Assert.Equal(0, e.SameStepMissing);
        }
    }

    [Fact]
    public void A_freed_entry_comes_back_for_a_later_step_with_its_counts_fresh()
    {
        var ring = Ring();
        var e = ring.At(0);
        e.Arrived(0);
        e.Arrived(1);
        e.Header = new StepHeader(0, [0], [0], [], []);
        ring.Free(e);
        Assert.Null(ring.Find(0));
        var again = ring.At(1);
        Assert.Same(e, again);
        Assert.Null(again.Header);
        Assert.Equal(1, again.SameStepMissing);
        Assert.Equal(1, again.OneStepMissing);
        Assert.Equal(0, again.Pieces[1]);
    }
}
