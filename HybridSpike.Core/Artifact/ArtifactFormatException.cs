namespace HybridSpike.Core.Artifact;

/// <summary>
/// A file is not a readable HybridSpike artifact: not one at all, an unsupported schema version,
/// truncated or corrupt MessagePack, a missing field, a weight blob of the wrong length or an invalid
/// network. The message names the file and the problem.
/// </summary>
public sealed class ArtifactFormatException : Exception
{
    public ArtifactFormatException(string message) : base(message) { }
    public ArtifactFormatException(string message, Exception inner) : base(message, inner) { }
}
