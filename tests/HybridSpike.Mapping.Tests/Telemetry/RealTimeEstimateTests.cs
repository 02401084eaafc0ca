using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Telemetry;
using HybridSpike.Mapping.Tests.Routing.Tables;

namespace HybridSpike.Mapping.Tests.Telemetry;

/// <summary>
/// The real-time model on a line: core 0 on chip (0,0) sends to core 1 on chip (3,0) of a 6x3 torus,
/// E E E, so each packet crosses three links and passes four routers. Links carry 1 packet per 1 ms
/// step, routers 2.
/// </summary>
public class RealTimeEstimateTests
{
    private static readonly RealTimeLimits Limits = new(1e-3, 2000, 1000, 0.35, 0.034, null);

    private static readonly CompiledMesh Line = Compile(Limits, null);

    /// <summary>
    /// The line on a profile with SpiNNaker's packet sizes (40 bits key-only, 72 with a payload) whose links carry 72,000
    /// bits/s: one 72-bit packet per step, as <see cref="Line"/>'s, or 1.8 key-only ones.
    /// </summary>
    private static readonly CompiledMesh SizedLine = Compile(Limits with { LinkPacketsPerSecond = null, LinkBitsPerSecond = 72_000 }, new PacketFormat(40, 72, 1e-9, 1e-9, 1e-9));

    private static CompiledMesh Compile(RealTimeLimits limits, PacketFormat? packets)
    {
        var profile = TableCases.Torus(6, 3) with { RealTime = limits, Packets = packets };
        return Compiler.Compile(TableCases.Chain(1, 1), profile, new FixedPlacement(0, TableCases.CoreOn(profile, 3, 0)));
    }

    /// <summary>Telemetry of a run in which core 0 sent <paramref name="packets"/>[t] packets to core 1 at step t, all with a payload.</summary>
    private static MeshTelemetry Run(int streams, params long[] packets) => Run(Line, streams, packets, packets);

    /// <summary>As <see cref="Run(int, long[])"/> on <paramref name="mesh"/>, <paramref name="payload"/>[t] of step t's packets with a payload, the rest key-only.</summary>
    private static MeshTelemetry Run(CompiledMesh mesh, int streams, long[] packets, long[] payload)
    {
        ImmutableArray<long> Zeros() => [.. new long[packets.Length]];
        var none = ImmutableDictionary<int, ImmutableArray<long>>.Empty;
        var source = new CoreTraffic(0, Zeros(), Zeros(), Zeros(), Zeros(), none.Add(1, [.. packets]), none.Add(1, [.. payload]));
        var target = new CoreTraffic(1, Zeros(), Zeros(), Zeros(), [.. packets], none, none);
        return MeshTelemetry.From(mesh, streams, packets.Length, [source, target]);
    }

    [Fact]
    public void On_a_link_given_in_bits_key_only_packets_take_40_bits_each()
    {
        // 9 key-only packets: 360 bits on links carrying 72 per step; the routers (2 packets per step) need 4.5 steps.
        var e = RealTimeEstimate.Of(SizedLine, Run(SizedLine, 1, [9], [0]))!;
        Assert.Equal(5, e.PeakLoad, 9);
    }

    [Fact]
    public void On_a_link_given_in_bits_payload_packets_take_72_bits_each()
    {
        var e = RealTimeEstimate.Of(SizedLine, Run(SizedLine, 1, [9], [9]))!;
        Assert.Equal(9, e.PeakLoad, 9);
    }

    [Fact]
    public void On_a_link_given_in_bits_a_step_of_both_sizes_adds_their_bits()
    {
        // 4 key-only (160 bits) and 5 payload packets (360 bits): 520 bits, 72 per step.
        var e = RealTimeEstimate.Of(SizedLine, Run(SizedLine, 1, [9], [5]))!;
        Assert.Equal(520.0 / 72, e.PeakLoad, 9);
    }

    [Fact]
    public void Packets_beyond_a_link_given_in_bits_are_counted_in_the_steps_mean_size()
    {
        // 9 key-only packets need 5 steps on each of 3 links: 4/5 of them, 7.2, are beyond each link's step.
        var e = RealTimeEstimate.Of(SizedLine, Run(SizedLine, 1, [9], [0]))!;
        Assert.Equal(3 * 7.2, e.LinkPacketsOverCapacity, 9);
    }

    [Fact]
    public void A_step_whose_busiest_link_needs_three_steps_runs_three_times_slower()
    {
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 3, 0))!;
        Assert.Equal(3, e.PeakLoad, 9);
        Assert.Equal(3, e.TimeScaleFactor, 9);
    }

    [Fact]
    public void Only_steps_over_the_budget_count()
    {
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 3, 0, 2))!;
        Assert.Equal(2, e.StepsOverBudget);
    }

    [Fact]
    public void Packets_beyond_a_links_step_capacity_are_counted_on_every_link()
    {
        // Step 1: 3 packets on each of 3 links of capacity 1: 2 over on each.
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 3, 0))!;
        Assert.Equal(6, e.LinkPacketsOverCapacity, 9);
    }

    [Fact]
    public void Packets_beyond_a_routers_step_capacity_are_counted_on_every_router_they_pass()
    {
        // Step 1: 3 packets through each of 4 routers of capacity 2: 1 over on each.
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 3, 0))!;
        Assert.Equal(4, e.RouterPacketsOverCapacity, 9);
    }

    [Fact]
    public void Traffic_within_capacity_fits_real_time()
    {
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 1, 0))!;
        Assert.True(e.FitsRealTime);
        Assert.Equal(1, e.TimeScaleFactor);
    }

    [Fact]
    public void Demand_is_per_inference_so_streams_divide_it()
    {
        var e = RealTimeEstimate.Of(Line, Run(3, 3, 9))!;
        Assert.Equal(3, e.PeakLoad, 9);
    }

    [Fact]
    public void The_busiest_router_is_named_at_the_peak_step()
    {
        var e = RealTimeEstimate.Of(Line, Run(1, 1, 3, 0))!;
        Assert.Equal(new Node(0, 0), e.BusiestRouter);
    }

    [Fact]
    public void A_barrier_synchronized_profile_has_no_real_time_estimate()
    {
        var loihi = Compiler.Compile(TableCases.Chain(1, 1), HybridSpike.Mapping.Profiles.Profiles.Get("loihi"), new SequentialPlacement());
        var t = MeshTelemetry.From(loihi, 1, 1, []);
        Assert.Null(RealTimeEstimate.Of(loihi, t));
    }
}

public class StaticEnergyTests
{
    [Fact]
    public void The_chips_and_cores_in_use_draw_static_power_for_the_inference_as_it_would_run()
    {
        var limits = new RealTimeLimits(1e-3, 2000, 1000, 0.35, 0.034, null);
        // Two chips, two cores, 3 steps, the peak step needing 3 steps: 9 ms in all.
        var e = new RealTimeEstimate(limits, [1e-3, 3e-3, 0], 3, 1, 0, 0, null, null, 2, 2);
        Assert.Equal((2 * 0.35 + 2 * 0.034) * 9e-3, e.StaticJoulesPerInference, 12);
    }
}
