using HybridSpike.Core.Data;
using System.CommandLine;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Artifact;

namespace HybridSpike.Host.Commands;

/// <summary><c>hybridspike compile</c>: an artifact compiled to a hardware profile, as an inspectable value.</summary>
internal static class CompileCommand
{
    internal sealed record CompileReport(
        string Model, string Profile, string Placement, int Cores, int CoresAvailable,
        IReadOnlyList<PopulationSummary> Populations, IReadOnlyList<CoreSummary> CoreTable, IReadOnlyList<RouteSummary> Routes,
        IReadOnlyList<ConnectionError> Discretization,
        DiscretizationEffect? Effect);

    /// <summary>Accuracy of the float64 network against its fixed-point compilation, on the same test sequences.</summary>
    internal sealed record DiscretizationEffect(int Samples, double FloatAccuracy, double FixedPointAccuracy, double ChangePoints,
        double? FloatActivityBits, double? FixedPointActivityBits);

    public static Command Build()
    {
        var cmd = new Command("compile", "Compile a trained network (artifact) to a hardware profile: split, discretize, place, route");
        var model = new Option<string>("--model") { Description = "An artifact (.hsa) or a training output directory", Required = true };
        var profile = new Option<string>("--profile") { Description = "Profile name (" + string.Join(", ", Profiles.Names) + ") or a profile JSON file", DefaultValueFactory = _ => "loihi" };
        var exponent = new Option<string>("--exponent") { Description = "Weights sharing one exponent: core (per core block) or row (per target unit)", DefaultValueFactory = _ => "core" };
        exponent.AcceptOnlyFromAmong("core", "row");
        var samples = new Option<int>("--samples") { Description = "Also measure the accuracy change of the fixed-point network against float64 on this many test sequences (0 = skip)" };
        var json = Cli.JsonOption();
        cmd.Options.Add(model); cmd.Options.Add(profile); cmd.Options.Add(exponent); cmd.Options.Add(samples); cmd.Options.Add(json);
        cmd.SetAction(result =>
        {
            var path = CompileCommand.ArtifactPath(result.GetValue(model)!);
            var artifact = ArtifactFile.Read(path);
            var p = Profiles.Get(result.GetValue(profile)!);
            var mesh = Compiler.Compile(artifact.Network, p, new SequentialPlacement(), Options(result.GetValue(exponent)!));
            var effect = result.GetValue(samples) is > 0 and var n ? Effect(artifact, mesh, n, path) : null;
            var report = new CompileReport(path, p.Name, mesh.Placement, mesh.Cores.Length, p.Layout.Cores, mesh.Populations, mesh.Cores, mesh.Routes, mesh.Discretized.Errors, effect);
            var o = result.InvocationConfiguration.Output;
            if (result.GetValue(json)) { Cli.WriteJson(o, report); return 0; }
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
            o.WriteLine("weights: " + string.Join(", ", mesh.Discretized.Errors.Select(e => $"{e.Source}->{e.Target} max error {e.MaxAbsoluteError:G3} (max |w| {e.MaxAbsoluteWeight:G3})")));
            if (effect is not null)
                o.WriteLine($"on {effect.Samples} test sequences: float64 {effect.FloatAccuracy:P2}, fixed point ({p.Core.WeightBits}-bit weights) {effect.FixedPointAccuracy:P2}, change {effect.ChangePoints:+0.00;-0.00;0.00} points");
            return 0;
        });
        return cmd;
    }

    /// <summary>An artifact file, or the artifact inside a training output directory.</summary>
    internal static string ArtifactPath(string modelOption) => ArtifactFile.PathOf(modelOption);

    internal static CompileOptions Options(string exponent) =>
        CompileOptions.Default with { Exponents = exponent == "row" ? ExponentBlock.Row : ExponentBlock.Core };

    private static DiscretizationEffect Effect(ModelArtifact artifact, CompiledMesh mesh, int samples, string path)
    {
        var data = SequenceData.Load(DataConfig.ForArtifact(artifact, path) with { TestLimit = samples });
        var f = Core.Reference.ReferenceEvaluation.Run(Core.Reference.GoldenSimulator.Create(artifact), data.Test, data.View);
        var q = Core.Reference.ReferenceEvaluation.Run(Core.Reference.FixedPointSimulator.Create(mesh.Discretized.FixedPoint()), data.Test, data.View);
        return new DiscretizationEffect(f.Samples, f.Accuracy, q.Accuracy, (q.Accuracy - f.Accuracy) * 100,
            f.Metrics.Overall.ActivityBits, q.Metrics.Overall.ActivityBits);
    }
}
