using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Host.Commands;

namespace HybridSpike.Host.Services;

/// <summary><c>hybridspike deploy</c>: an artifact sent to a running service, which switches new streams to it.</summary>
internal static class DeployService
{
    public static async Task<int> RunAsync(DeployRequest request, TextWriter o, CancellationToken cancel)
    {
        // Read and checked here first: a damaged file is refused with its path before anything is sent.
        var path = CompileService.ArtifactPath(request.Model);
        var local = ArtifactFile.ReadWithDigest(path);
        using var client = new StreamClient(request.Url);
        var bytes = await File.ReadAllBytesAsync(path, cancel);
        var serving = await StreamService.Reach(() => client.DeployAsync(bytes, cancel), request.Url);
        if (request.Json) Cli.WriteJson(o, serving);
        else o.WriteLine($"{request.Url}: serving {serving.Name} version {serving.Version} ({(serving.Digest == local.Digest ? path : "not " + path)})");
        return 0;
    }
}
