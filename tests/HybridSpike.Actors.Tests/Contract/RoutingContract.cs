using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using HybridSpike.Actors.Runtime;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;
using HybridSpike.Mapping.Telemetry;

namespace HybridSpike.Actors.Tests.Contract;

/// <summary>
/// The routing clauses of the contract, on the contract's generated networks: on SpiNNaker-style
/// tables every key reaches exactly the cores that take it (PACMAN's delivery check, every unit's key
/// followed chip by chip), and the routing family changes no spike: the same case on Loihi's mesh with
/// X-then-Y routing and on the torus with tables gives the same spikes, outputs and per-core traffic
/// counts through the actor mesh.
/// </summary>
public sealed class RoutingContract(ActorSystemFixture actors) : IClassFixture<ActorSystemFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static ContractCase On(ContractCase c, RoutingFamily family) => c with { Profile = c.Profile with { Routing = family } };

    [Property(MaxTest = 200)]
    public Property Every_key_through_the_tables_reaches_exactly_the_cores_that_take_it() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), c =>
        {
            var mesh = On(c, RoutingFamily.TorusTables).Compile();
            var router = Assert.IsType<TableRouter>(mesh.Router);
            var problems = router.VerifyEveryKey();
            if (!problems.IsEmpty) throw new ContractViolation($"{string.Join("\n", problems)}\ncase: {c}");
        });

    [Property(MaxTest = 40)]
    public Property The_routing_family_changes_no_spike_and_no_per_core_count() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), c =>
        {
            var xy = On(c, RoutingFamily.MeshXY).Compile();
            var tables = On(c, RoutingFamily.TorusTables).Compile();
            var batch = ImmutableArray.Create(c.Inputs());
            // One run per family gives both the spikes (through the observer) and the traffic counts.
            (RunOutcome Outcome, MeshTelemetry? Traffic) Run(CompiledMesh m)
            {
                var counts = new CountRecorder();
                try
                {
                    var run = MeshRuntime.RunWithTelemetryAsync(actors.System, m, batch, c.Streams, c.Steps, counts, MeshRunOptions.Local.WithTimeout(Timeout), CancellationToken.None)
                        .GetAwaiter().GetResult();
                    return (new RunOutcome(run.Result, counts, null), run.Telemetry);
                }
                catch (Exception e) { return (new RunOutcome(null, counts, e), null); }
            }
            var onMesh = Run(xy);
            var onTables = Run(tables);
            RunOutcome.AssertSame(onMesh.Outcome, onTables.Outcome, "the mesh with X-then-Y routing", "the mesh with table routing on the torus", $"case: {c}");
            if (onMesh.Traffic is null || onTables.Traffic is null) return;
            static object Counts(CoreTraffic k) => (k.Core, k.Spikes, k.SynapticEvents, string.Join(",", k.PacketsTo.OrderBy(p => p.Key)));
            Assert.Equal(onMesh.Traffic.Cores.Select(Counts), onTables.Traffic.Cores.Select(Counts));
        });
}

/// <summary>
/// The compression clause: on every generated network, every compressor's table of every chip routes
/// every key as the table the trees built (PACMAN's routing_compression_checker, over key/mask cubes),
/// and the default-routed keys still match nothing. Compared with the built tables, never a table with itself.
/// </summary>
public sealed class CompressionContract
{
    [Property(MaxTest = 200)]
    public Property Every_compressor_keeps_every_route_of_the_built_tables() =>
        Prop.ForAll(ContractGen.Arbitrary(Domain.FixedPoint), c =>
        {
            var mesh = (c with { Profile = c.Profile with { Routing = RoutingFamily.TorusTables } }).Compile();
            var tables = Assert.IsType<TableRouter>(mesh.Router).Tables;
            foreach (var name in TableCompressors.Names)
            {
                var compressor = TableCompressors.For(name);
                foreach (var built in tables.Built)
                {
                    var differences = TableEquivalence.Differences(built, compressor.Compress(built.WithoutDefaultRoutes, tables.EntryLimit));
                    if (!differences.IsEmpty)
                        throw new ContractViolation($"{name}, chip ({built.Chip.X},{built.Chip.Y}): {string.Join("; ", differences)}\ncase: {c}");
                }
            }
        });
}
