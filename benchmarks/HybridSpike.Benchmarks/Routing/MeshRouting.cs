using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using HybridSpike.Actors.Runtime;
using HybridSpike.Benchmarks.Mesh;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;

namespace HybridSpike.Benchmarks.Routing;

internal static partial class RoutingBenchmark
{
    /// <summary>
    /// The same network, placement and inputs on the spinnaker machine (32 units a core) routed two ways: by table lookup
    /// (every core looks each step's packet up chip by chip) and by X-then-Y on a 2D mesh of the same
    /// cores (a fixed destination list). Stream-steps per second, median of 5 alternating runs after a
    /// warm-up of each; the outputs of both checked equal. The target: lookup at least 80 % of X-then-Y.
    /// </summary>
    private static void MeshRouting(Action<string> line, bool quick)
    {
        // 32 units a core: many cores, each sending to many, so that routing is a large part of a step.
        var builtin = Profiles.Get("spinnaker");
        var spinnaker = builtin with { Name = "spinnaker-32", Core = builtin.Core with { Units = 32 } };
        var xy = spinnaker with
        {
            Name = "spinnaker-xy",
            Routing = new RoutingScheme(Mesh2D.TopologyName, DimensionOrderRouter.AlgorithmName, false, null, null),
            RealTime = null,
        };
        var net = BenchNetworks.Layered(64, 600, 3, 5);
        var placement = new RandomPlacement(1);
        var tableMesh = Compiler.Compile(net, spinnaker, placement);
        var xyMesh = Compiler.Compile(net, xy, placement);
        int streams = 16, steps = quick ? 40 : 200, repeats = quick ? 1 : 5;
        var inputs = ImmutableArray.Create(BenchNetworks.UniformInputs(streams, steps, 64, 9));
        var summary = ((TableRouter)tableMesh.Router).Tables.Summary;
        line($"network: generated 3 x 600 units + 10, 32 units a core, {tableMesh.Cores.Length} cores at random on " +
             $"{tableMesh.Cores.Select(c => (c.ChipX, c.ChipY)).Distinct().Count()} chips; {streams} streams x {steps} steps; " +
             $"tables: {summary.Compressed:N0} entries on {summary.Chips} chips ({summary.Compressor})");
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.log-dead-letters = off\n" + MeshRuntime.DispatcherConfig(2));
        using var system = ActorSystem.Create("bench", config);
        MeshRunResult Once(CompiledMesh m) => MeshRuntime.RunWithTelemetryAsync(system, m, inputs, streams, steps, null, CancellationToken.None).GetAwaiter().GetResult();
        var expected = Once(xyMesh);
        var lookedUp = Once(tableMesh);
        if (!expected.Result.Outputs.Values.Span.SequenceEqual(lookedUp.Result.Outputs.Values.Span))
            throw new InvalidOperationException("routing: the table-routed mesh's outputs differ from the X-then-Y one's");
        var times = new Dictionary<string, List<double>> { ["xy"] = [], ["table"] = [] };
        for (int r = 0; r < repeats; r++)
            foreach (var (name, m) in new[] { ("xy", xyMesh), ("table", tableMesh) })
            {
                var sw = Stopwatch.StartNew();
                Once(m);
                times[name].Add(sw.Elapsed.TotalSeconds);
            }
        double Rate(string name) => streams * steps / times[name].Order().ElementAt(times[name].Count / 2);
        line("");
        line("| routing | stream-steps/s (median) | of X-then-Y |");
        line("| --- | ---: | ---: |");
        line($"| X-then-Y, fixed destinations | {Rate("xy"):N0} | 100 % |");
        line($"| table lookup, chip by chip | {Rate("table"):N0} | {Rate("table") / Rate("xy"):P0} |");
    }
}
