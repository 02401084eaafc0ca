using Akka.Actor;
using HybridSpike.Actors.Runtime.Deployment;
using HybridSpike.Core.Artifact;
using HybridSpike.Core.Serving;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Profiles;

namespace HybridSpike.Host.Serve;

/// <summary>What a deployment request came to: the HTTP status, and the model now serving or why nothing changed.</summary>
internal sealed record DeployResult(int Status, ModelVersionInfo? Model, string? Error);

/// <summary>
/// Live deployment of new weights onto a running service: an artifact is validated (digest, sizes, the network),
/// checked against the serving model (the same input and output widths: a client's streams must fit either) and
/// compiled to the service's profile before anything changes; then its mesh is deployed beside the serving one and
/// switched in (<see cref="StreamHub.SwitchTo"/>). One deployment at a time.
/// </summary>
internal sealed class LiveDeployer(StreamHub hub, ActorSystem system, HardwareProfile profile, ServeOptions options, Actors.Runtime.MeshRunOptions run, Core.Data.SequenceData? checkSet)
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async Task<DeployResult> DeployAsync(byte[] bytes, string? name, CancellationToken cancel)
    {
        DigestedArtifact uploaded;
        try { uploaded = ArtifactFile.DeserializeWithDigest(bytes, "the uploaded artifact"); }
        catch (Exception e) when (e is ArtifactFormatException or ArgumentException or InvalidDataException)
        {
            return new DeployResult(400, null, e.Message);
        }
        await _one.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var serving = hub.Model;
            if (uploaded.Digest == serving.Digest)
                return new DeployResult(200, hub.Versions()[0], null);
            if (Incompatible(serving.Mesh.Network, uploaded.Artifact.Network) is { } why)
                return new DeployResult(409, null, $"the uploaded artifact does not fit the serving model {serving.Name} version {serving.Version}: {why}; nothing changed");
            CompiledMesh mesh;
            try { mesh = Services.CompileService.Compile(uploaded.Artifact.Network, profile, options.Target); }
            catch (CompileException e) { return new DeployResult(422, null, $"the uploaded artifact does not compile to {profile.Name}: {e.Message}; nothing changed"); }
            if (options.Gate is { } gate && checkSet is not null)
            {
                double now = Accuracy(serving.Mesh, checkSet, cancel), next = Accuracy(mesh, checkSet, cancel);
                if ((now - next) * 100 > gate.MaxDropPoints)
                    return new DeployResult(422, null,
                        $"the uploaded artifact's accuracy on the check set ({checkSet.Test.Count} test sequences) is {next:P2}, {(now - next) * 100:0.00} points below the serving model's {now:P2} (the gate allows {gate.MaxDropPoints:0.##}); nothing changed");
            }
            return await SwitchAsync(new ServedModelSource(name ?? serving.Name, uploaded.Digest, mesh, ServedModel.SequenceSteps(uploaded.Artifact)), cancel).ConfigureAwait(false);
        }
        finally { _one.Release(); }
    }

    /// <summary>Back to the model served before the current one: its mesh deployed again and switched in.</summary>
    public async Task<DeployResult> RollbackAsync(string name, CancellationToken cancel)
    {
        await _one.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (name != hub.Model.Name) return new DeployResult(404, null, $"no model '{name}' (serving {hub.Model.Name})");
            if (hub.Previous is not { } previous) return new DeployResult(409, null, $"{name} version {hub.Model.Version} is the only version served so far: there is nothing to roll back to");
            return await SwitchAsync(new ServedModelSource(previous.Name, previous.Digest, previous.Mesh, previous.StepsPerSequence), cancel).ConfigureAwait(false);
        }
        finally { _one.Release(); }
    }

    private sealed record ServedModelSource(string Name, string Digest, CompiledMesh Mesh, int? StepsPerSequence);

    private async Task<DeployResult> SwitchAsync(ServedModelSource source, CancellationToken cancel)
    {
        var deployment = await MeshDeployment.StartAsync(system, source.Mesh, new DeploymentOptions(options.Streams, run, false, null), cancel).ConfigureAwait(false);
        var model = new ServedModel(source.Name, source.Digest, source.Mesh, deployment, source.StepsPerSequence);
        _ = hub.SwitchTo(model);
        return new DeployResult(201, hub.Versions()[0], null);
    }

    /// <summary>The fixed-point model's accuracy on the check set (what the mesh computes, without running it).</summary>
    private static double Accuracy(CompiledMesh mesh, Core.Data.SequenceData checkSet, CancellationToken cancel) =>
        Core.Reference.ReferenceEvaluation.Run(Core.Reference.FixedPointSimulator.Create(mesh.Discretized.FixedPoint()), checkSet.Test, checkSet.View, cancel: cancel).Accuracy;

    /// <summary>Why a client's stream could not move to <paramref name="next"/>, or null: the widths of a step in and out.</summary>
    private static string? Incompatible(Core.Network.NetworkDescription serving, Core.Network.NetworkDescription next)
    {
        if (next.Input.Dimensions != serving.Input.Dimensions)
            return $"it takes {next.Input.Dimensions} values a step, the serving model {serving.Input.Dimensions}";
        int a = serving.Population(serving.Output.Population).Size, b = next.Population(next.Output.Population).Size;
        return a != b ? $"it gives {b} outputs, the serving model {a}" : null;
    }
}
