using System.Security.Cryptography;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Interchange.Nir;
using HybridSpike.Core.Network;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Services;

/// <summary>The NIR interchange as commands (<c>hybridspike nir export|import</c>, docs/nir.md).</summary>
internal static class NirService
{
    /// <summary>One population as the NIR file holds it.</summary>
    /// <param name="Nodes">The NIR nodes that stand for it: "IF + Scale (HybridSpike extension)" or "Scale".</param>
    internal sealed record PopulationSummary(string Name, int Units, double? Omega, string Nodes);

    /// <summary>What <c>nir export</c> wrote.</summary>
    /// <param name="Warnings">What another NIR tool reads differently (the extension's IF nodes).</param>
    internal sealed record ExportReport(string Model, string Out, string NirVersion, string SubtractiveReset, int Nodes, int Edges,
        IReadOnlyList<PopulationSummary> Populations, int Connections, IReadOnlyList<string> Warnings);

    /// <summary>What <c>nir import</c> wrote.</summary>
    internal sealed record ImportReport(string File, string Out, string? NirVersion, double TimeStep, string Sha256,
        IReadOnlyList<PopulationSummary> Populations, int Connections, string OutputPopulation, string Provenance);

    public static int Export(NirExportRequest request, TextWriter o, CancellationToken cancel)
    {
        var path = ArtifactFile.PathOf(request.Model);
        RefuseExisting(request.Out, request.Force);
        var read = ArtifactFile.ReadWithDigest(path);
        cancel.ThrowIfCancellationRequested();
        var options = new NirExportOptions(request.SubtractiveReset);
        var document = NirExport.ToDocument(read.Artifact, options, read.Digest);
        NirFile.Write(request.Out, document);
        var network = read.Artifact.Network;
        var quantized = network.Populations.Where(p => NirQuantizers.Of(p) != NirQuantizerKind.None).Select(p => p.Name).ToList();
        var warnings = quantized.Count == 0 ? [] : new List<string>
        {
            $"{string.Join(", ", quantized.Select(q => $"'{q}'"))} written as IF nodes with HybridSpike's subtractive-reset metadata: HybridSpike reads them back exactly; " +
            "a NIR tool that ignores the metadata runs a plain IF (one spike when v > 1, then v <- 0) and gives other spikes (docs/nir.md)",
        };
        var report = new ExportReport(path, request.Out, document.Version ?? NirFile.WrittenVersion,
            request.SubtractiveReset == NirSubtractiveReset.Extension ? "extension" : "refuse",
            document.Graph.Nodes.Count, document.Graph.Edges.Length, Summaries(network, exported: true), network.Connections.Length, warnings);
        if (request.Json) { Cli.WriteJson(o, report); return 0; }
        o.WriteLine($"{report.Out}: NIR {report.NirVersion}, {report.Nodes} nodes, {report.Edges} edges, from {report.Model}");
        foreach (var p in report.Populations) o.WriteLine($"  {p.Name,-12}{p.Units,7} units  {p.Nodes}");
        o.WriteLine($"  {report.Connections} connections (Affine/Linear, a Delay before each one-step connection)");
        foreach (var w in warnings) o.WriteLine($"warning: {w}");
        return 0;
    }

    public static int Import(NirImportRequest request, TextWriter o, CancellationToken cancel)
    {
        RefuseExisting(request.Out, request.Force);
        var document = NirFile.Read(request.File);
        cancel.ThrowIfCancellationRequested();
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(request.File)));
        var artifact = NirImport.ToArtifact(document, request.File, sha, new NirImportOptions(request.TimeStep), DateTimeOffset.UtcNow);
        ArtifactFile.Write(request.Out, artifact);
        var report = new ImportReport(request.File, request.Out, document.Version, request.TimeStep, sha,
            Summaries(artifact.Network, exported: false), artifact.Network.Connections.Length, artifact.Network.Output.Population, artifact.Provenance.Notes);
        if (request.Json) { Cli.WriteJson(o, report); return 0; }
        o.WriteLine($"{report.Out}: {report.Populations.Count} populations, {report.Connections} connections, output '{report.OutputPopulation}', from {report.File} (NIR {report.NirVersion ?? "version not stated"}, dt = {report.TimeStep})");
        foreach (var p in report.Populations)
            o.WriteLine($"  {p.Name,-12}{p.Units,7} units  {(p.Omega is { } w ? $"Sigma-Delta, ω = {w}" : "linear, not spiking")}");
        return 0;
    }

    private static List<PopulationSummary> Summaries(NetworkDescription network, bool exported) =>
        [.. network.Populations.Select(p => new PopulationSummary(p.Name, p.Size, p.Omega,
            !exported ? (p.IsQuantized ? "Sigma-Delta quantizer" : "linear") :
            NirQuantizers.Of(p) == NirQuantizerKind.None ? "Scale (the sum of its inputs)" : "IF + Scale(1/ω) (HybridSpike subtractive-reset extension)"))];

    /// <summary>An existing --out is refused unless --force, before anything is read or written.</summary>
    private static void RefuseExisting(string path, bool force)
    {
        if (Directory.Exists(path)) throw new IOException($"--out {path} is a folder; give a file name (nothing was written)");
        if (File.Exists(path) && !force) throw new IOException($"--out {path} exists; pass --force to replace it, or choose another --out (nothing was written)");
    }
}
