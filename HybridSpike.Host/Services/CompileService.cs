using HybridSpike.Core.Artifact;
using HybridSpike.Core.Data;
using HybridSpike.Core.Reference;
using HybridSpike.Host.Commands;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Host.Services;

/// <summary>An artifact compiled to a hardware profile, as an inspectable value (<c>hybridspike compile</c>).</summary>
internal static class CompileService
{
    internal sealed record CompileReport(
        string Model, string Profile, string Placement, int Cores, int CoresAvailable,
        IReadOnlyList<PopulationSummary> Populations, IReadOnlyList<CoreSummary> CoreTable, IReadOnlyList<RouteSummary> Routes,
        IReadOnlyList<ConnectionError> Discretization,
        DiscretizationEffect? Effect,
        Mapping.Routing.Tables.TableSummary? Tables);

    /// <summary>Accuracy of the float64 network against its fixed-point compilation, on the same test sequences.</summary>
    internal sealed record DiscretizationEffect(int Samples, double FloatAccuracy, double FixedPointAccuracy, double ChangePoints,
        double? FloatActivityBits, double? FixedPointActivityBits);

    /// <summary>An artifact file, or the artifact inside a training output directory.</summary>
    internal static string ArtifactPath(string modelOption) => ArtifactFile.PathOf(modelOption);

    /// <summary>
    /// The first <paramref name="limit"/> (0: all) test sequences of the artifact's dataset, or of the one <paramref name="data"/>
    /// names; more than the split holds is refused by <paramref name="option"/>'s name, never cut to it.
    /// </summary>
    internal static (DataConfig Config, SequenceData Data) TestSequences(ModelArtifact artifact, string path, DatasetOverride data, int limit, string option)
    {
        var config = data.Apply(DataConfig.ForArtifact(artifact, path)) with { TestLimit = limit };
        var seq = SequenceData.Load(config);
        Check.WithinSplit(limit, seq.Test.Count, option, config.Dataset);
        return (config, seq);
    }

    /// <summary><paramref name="network"/> compiled to <paramref name="target"/> (its profile already looked up as <paramref name="profile"/>).</summary>
    internal static CompiledMesh Compile(Core.Network.NetworkDescription network, HardwareProfile profile, CompileTarget target) =>
        Compiler.Compile(network, profile, target.Placement.Strategy(), target.Options);

    /// <summary>Compiles, writes the report (text or JSON) to <paramref name="o"/>; returns the exit code.</summary>
    public static int Run(CompileRequest request, TextWriter o, TextWriter progress, CancellationToken cancel)
    {
        var path = ArtifactPath(request.Model);
        var artifact = ArtifactFile.Read(path);
        var p = Profiles.Get(request.Target.Profile);
        var mesh = Compile(artifact.Network, p, request.Target);
        var effect = request.Samples > 0 ? Effect(artifact, mesh, request.Samples, path, progress, cancel) : null;
        var report = new CompileReport(path, p.Name, mesh.Placement, mesh.Cores.Length, p.Layout.Cores, mesh.Populations, mesh.Cores, mesh.Routes, mesh.Discretized.Errors, effect,
            (mesh.Router as Mapping.Routing.Tables.TableRouter)?.Tables.Summary);
        if (request.Json) { Cli.WriteJson(o, report); return 0; }
        o.WriteLine($"{path} on {p.Name} ({p.Description}): {report.Cores} of {report.CoresAvailable} cores, {mesh.Placement} placement");
        o.WriteLine();
        o.WriteLine($"{"population",-12}{"units",7}{"cores",7}  split by");
        foreach (var pop in mesh.Populations) o.WriteLine($"{pop.Population,-12}{pop.Units,7}{pop.Cores,7}  {pop.SplitBy}");
        o.WriteLine();
        o.WriteLine($"{"core",5}{"chip",7}{"x,y",8}  {"population",-12}{"units",12}{"in axons",10}{"out axons",11}{"synapse mem",13}");
        foreach (var c in mesh.Cores)
            o.WriteLine($"{c.Core,5}{$"{c.ChipX},{c.ChipY}",7}{$"{c.X},{c.Y}",8}  {c.Population,-12}{$"{c.FirstUnit}-{c.FirstUnit + c.Units - 1}",12}{c.InputAxons,10}{c.OutputAxons,11}{c.SynapseMemoryUse,12:P1}");
        o.WriteLine();
        o.WriteLine($"routes: {mesh.Routes.Length}, hops {string.Join(" ", mesh.Routes.GroupBy(r => r.Hops).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"))}, between chips {mesh.Routes.Count(r => r.CrossesChips)}");
        if (report.Tables is { } t)
            o.WriteLine($"tables: {t.Sources} keys on {t.Chips} chips, {t.Built:N0} entries, {t.WithoutDefaultRoutes:N0} without default routes, {t.Compressed:N0} after {t.Compressor}; fullest chip " +
                (t.FullestChip is { } f ? $"({f.X},{f.Y}) {t.FullestEntries:N0}" : "-") + $" of {t.EntryLimit:N0}");
        o.WriteLine("weights: " + string.Join(", ", mesh.Discretized.Errors.Select(e => $"{e.Source}->{e.Target} max error {e.MaxAbsoluteError:G3} (max |w| {e.MaxAbsoluteWeight:G3})")));
        if (effect is not null)
            o.WriteLine($"on {effect.Samples} test sequences: float64 {effect.FloatAccuracy:P2}, fixed point ({p.Core.WeightBits}-bit weights) {effect.FixedPointAccuracy:P2}, change {effect.ChangePoints:+0.00;-0.00;0.00} points");
        return 0;
    }

    private static DiscretizationEffect Effect(ModelArtifact artifact, CompiledMesh mesh, int samples, string path, TextWriter progress, CancellationToken cancel)
    {
        var (dataConfig, data) = TestSequences(artifact, path, DatasetOverride.None, samples, "--samples");
        progress.WriteLine(CtrlC.Started("compile", data.Test.Count, dataConfig.Dataset));
        var f = ReferenceEvaluation.Run(GoldenSimulator.Create(artifact), data.Test, data.View, cancel: cancel);
        var q = ReferenceEvaluation.Run(FixedPointSimulator.Create(mesh.Discretized.FixedPoint()), data.Test, data.View, cancel: cancel);
        return new DiscretizationEffect(f.Samples, f.Accuracy, q.Accuracy, (q.Accuracy - f.Accuracy) * 100,
            f.Metrics.Overall.ActivityBits, q.Metrics.Overall.ActivityBits);
    }
}
