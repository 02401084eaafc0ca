using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Tests.Telemetry;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// The offline-traffic clause of the contract: the traffic counted from the fixed-point golden model and the compiled
/// mesh alone (<see cref="OfflineTraffic"/>, no actors) is, core by core and step by step, what the actor mesh counts
/// running the same case, on both routing families (Loihi's mesh with X-then-Y routing, SpiNNaker's torus with tables),
/// the payload packets among them included (counts other than +1: 72-bit packets on SpiNNaker, which the energy and
/// real-time models charge apart from the 40-bit key-only ones), since <see cref="TrafficDifferences"/> compares them too.
/// A case the golden model cannot run (an overflow) must fail on the mesh too.
/// </summary>
public sealed class TrafficContract(ActorSystemFixture actors) : IClassFixture<ActorSystemFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Property(MaxTest = 40)]
    public Property Offline_traffic_is_the_mesh_runs_count_for_count_on_both_routing_families() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), c =>
        {
            // Every case on both families, whichever the generator drew.
            foreach (var family in new[] { RoutingFamily.MeshXY, RoutingFamily.TorusTables })
                Check(c with { Profile = c.Profile with { Routing = family } });
        });

    private void Check(ContractCase c)
    {
        var mesh = c.Compile();
        var inputs = c.Inputs();
        MeshTelemetry OnMesh() =>
            MeshRuntime.RunWithTelemetryAsync(actors.System, mesh, [.. inputs], c.Streams, c.Steps, null, MeshRunOptions.Local.WithTimeout(Timeout), CancellationToken.None)
                .GetAwaiter().GetResult().Telemetry;
        ImmutableArray<CoreTraffic> offline;
        try
        {
            offline = OfflineTraffic.Cores(mesh, OfflineTraffic.Run(mesh, inputs, c.Streams, c.Steps).Activity);
        }
        catch (OverflowException golden)
        {
            try { OnMesh(); }
            catch (OverflowException) { return; }
            throw new ContractViolation($"the golden model overflowed ({golden.Message}) but the mesh ran\ncase: {c}");
        }
        var problems = TrafficDifferences.Of(OnMesh().Cores, offline);
        if (!problems.IsEmpty) throw new ContractViolation($"offline traffic differs from the mesh run's ({c.Profile.Routing}):\n{string.Join("\n", problems.Take(20))}\ncase: {c}");
    }
}
