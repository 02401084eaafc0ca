using System.Diagnostics;
using System.Globalization;
using System.Text;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Routing.Tables;
using HybridSpike.Mapping.Studies;

namespace HybridSpike.Benchmarks.Routing;

/// <summary>
/// Key allocation, routing, table generation and compression on a generated locally-connected network
/// (<see cref="LocallyConnected"/>) of over 10^5 units on the spinnaker profile's 144 chips, sequentially
/// placed (local traffic: Mundy et al.'s locally-connected benchmark) and at random (scattered):
/// wall-clock seconds per stage, entries per chip before and after each compressor, and the time per
/// table. Whole runs timed with a stopwatch (each stage once after a warm-up run of the whole), not
/// BenchmarkDotNet: they take seconds.
///   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- routing [--radius R] [--targets T] [--units U] [--out FILE]
/// </summary>
internal static partial class RoutingBenchmark
{
    public static int Run(string[] args)
    {
        string? outFile = null;
        int radius = 1, targets = 4, units = 44;
        for (int i = 0; i < args.Length; i++)
            if (args[i] == "--out" && i + 1 < args.Length) outFile = args[++i];
            else if (args[i] == "--quick") { }
            else if (args[i] == "--radius" && i + 1 < args.Length && int.TryParse(args[i + 1], out radius)) i++;
            else if (args[i] == "--targets" && i + 1 < args.Length && int.TryParse(args[i + 1], out targets)) i++;
            else if (args[i] == "--units" && i + 1 < args.Length && int.TryParse(args[i + 1], out units)) i++;
            else { Console.Error.WriteLine($"routing: unknown argument '{args[i]}' (usage: routing [--radius R] [--targets T] [--units U] [--out FILE])"); return 2; }
        var profile = Profiles.Get("spinnaker");
        var study = new LocallyConnected(profile.Layout, Units: units, Radius: radius, TargetsPerChip: targets);
        var md = new StringBuilder();
        void Line(string s) { Console.WriteLine(s); md.AppendLine(s); }
        Line($"network: {study.Populations} populations of {study.Units} units ({study.TotalUnits:N0} units), each feeding {study.TargetsPerChip} populations on every chip within {study.Radius} hop; profile {profile.Name} ({profile.Layout.Chips} chips, {profile.Routing.TableEntries:N0} entries per table)");
        var sw = Stopwatch.StartNew();
        var net = study.Network();
        Line($"generate: {sw.Elapsed.TotalSeconds:0.00} s, {net.Connections.Length:N0} connections");
        sw.Restart();
        var split = Split.Run(net, profile);
        Line($"split: {sw.Elapsed.TotalSeconds:0.00} s, {split.Pieces.Length:N0} pieces");
        var torus = new TriangularTorus(profile.Layout);
        foreach (var (name, placer) in new (string, IPlacementStrategy)[] { ("sequential", new SequentialPlacement()), ("random(1)", new RandomPlacement(1)) })
        {
            Line("");
            Line($"## {name} placement");
            Line("");
            sw.Restart();
            var placed = placer.Place(PlacementContext.For(split));
            Line($"place: {sw.Elapsed.TotalSeconds:0.00} s");
            RoutingTables.Build(torus, placed, new NoCompression(), int.MaxValue); // warm-up
            sw.Restart();
            var keys = KeyAllocation.Allocate(placed);
            double keySeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var tables = RoutingTables.Build(torus, placed, new NoCompression(), int.MaxValue);
            double buildSeconds = sw.Elapsed.TotalSeconds;
            Line($"keys: {keySeconds:0.000} s ({keys.PopulationBits} population bits, {keys.LowBits} piece and unit bits); keys + trees + tables: {buildSeconds:0.00} s, {tables.Trees.Length:N0} trees, {tables.Built.Length} chips with tables");
            sw.Restart();
            var router = new TableRouter(tables, placed);
            Line($"route by walking the tables (every source, checked against its cores): {sw.Elapsed.TotalSeconds:0.00} s");
            Line("");
            Line("| compressor | entries (all chips) | largest table | chips over 1,023 | seconds (all chips) | seconds per table, largest |");
            Line("| --- | ---: | ---: | ---: | ---: | ---: |");
            var sizes = tables.Sizes;
            Line($"| as built | {sizes.Sum(s => (long)s.Built):N0} | {sizes.Max(s => s.Built):N0} | {sizes.Count(s => s.Built > 1023)} | - | - |");
            Line($"| default routes left out | {sizes.Sum(s => (long)s.WithoutDefaultRoutes):N0} | {sizes.Max(s => s.WithoutDefaultRoutes):N0} | {sizes.Count(s => s.WithoutDefaultRoutes > 1023)} | - | - |");
            var inputs = tables.Built.Select(b => b.WithoutDefaultRoutes).ToArray();
            var largest = inputs.OrderByDescending(t => t.Count).First();
            void Measure(string label, Func<RoutingTable, RoutingTable> compress)
            {
                sw.Restart();
                var outputs = inputs.Select(compress).ToArray();
                double seconds = sw.Elapsed.TotalSeconds;
                sw.Restart();
                compress(largest);
                double one = sw.Elapsed.TotalSeconds;
                Line($"| {label} | {outputs.Sum(t => (long)t.Count):N0} | {outputs.Max(t => t.Count):N0} | {outputs.Count(t => t.Count > 1023)} | {seconds:0.00} | {one:0.000} ({largest.Count:N0} entries) |");
            }
            foreach (var cname in TableCompressors.Names.Where(n => n != NoCompression.CompressorName))
                Measure(cname, t => TableCompressors.For(cname).Compress(t, 1023));
            // Ordered covering stops once a table fits; with a target of 0 it merges as far as it can, as pair always
            // does: the fair comparison of the two.
            var covering = new Mapping.Routing.Tables.Compressors.OrderedCoveringCompressor();
            Measure($"{covering.Name}, target 0", t => covering.Compress(t, 0));
            GC.KeepAlive(router);
        }
        Line("");
        Line("## The actor mesh: routing by table lookup against dimension-order routing");
        Line("");
        MeshRouting(Line, quick: args.Contains("--quick"));
        if (outFile is not null) File.WriteAllText(outFile, md.ToString());
        return 0;
    }
}
