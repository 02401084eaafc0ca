using System.Text;
using HybridSpike.Core.Network;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridSpike.Core.Artifact;

/// <summary>
/// Reads and writes the deployment artifact: one MessagePack map with readable string keys
/// (<c>"format": "hybridspike-artifact"</c>, <c>"schema_version": 1</c>, ...), weights and biases as
/// <c>bin</c> blobs of little-endian float64 (indices little-endian int32). Field by field in docs/artifact.md.
/// </summary>
public static class ArtifactFile
{
    /// <summary>The artifact's name inside a training output directory.</summary>
    public const string DefaultFileName = "model.hsa";

    /// <summary>An artifact file, or the artifact inside a training output directory.</summary>
    public static string PathOf(string fileOrDirectory) =>
        Directory.Exists(fileOrDirectory) ? Path.Combine(fileOrDirectory, DefaultFileName) : fileOrDirectory;

    /// <summary>The value of the top-level "format" entry that marks a HybridSpike artifact.</summary>
    public const string Format = ArtifactMapping.Magic;

    // The DTOs are internal; the file comes from outside: hash maps resistant to collisions.
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard
            .WithResolver(StandardResolverAllowPrivate.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>
    /// Writes <paramref name="artifact"/> to <paramref name="path"/> atomically: the bytes go to a temporary
    /// file in the same directory, are flushed to disk, and the file is renamed over <paramref name="path"/>.
    /// An invalid artifact (see <see cref="Serialize"/>) throws <see cref="ArgumentException"/> before the
    /// disk is touched; on any failure an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    public static void Write(string path, ModelArtifact artifact)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = Serialize(artifact);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: not written: {e.Message}", nameof(artifact), e);
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Reads and validates an artifact. Every problem with the file, including an invalid network, throws
    /// <see cref="ArtifactFormatException"/> whose message starts with <paramref name="path"/>.
    /// </summary>
    public static ModelArtifact Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactFormatException($"{path}: file not found", e);
        }
        return Deserialize(bytes, path);
    }

    /// <summary>
    /// The artifact's bytes. Checks first: schema version <see cref="ModelArtifact.CurrentSchemaVersion"/>,
    /// a supported arithmetic, every field set, and <see cref="NetworkDescription.Validate"/>; a problem
    /// throws <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static byte[] Serialize(ModelArtifact artifact)
    {
        Check(artifact);
        return MessagePackSerializer.Serialize(ArtifactMapping.ToDto(artifact), Options);
    }

    /// <summary>Reads an artifact from its bytes; <paramref name="name"/> (a path, a URL) starts every error message.</summary>
    public static ModelArtifact Deserialize(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckHeader(bytes, name);
        ArtifactDto dto;
        try
        {
            dto = MessagePackSerializer.Deserialize<ArtifactDto>(bytes, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new ArtifactFormatException($"{name}: corrupt artifact: a field has the wrong MessagePack type or is damaged ({Innermost(e).Message})", e);
        }
        return ArtifactMapping.FromDto(dto, name);
    }

    /// <summary>
    /// Looks at the top-level map only: is this a HybridSpike artifact, and of a schema this version reads?
    /// Done before the full read, so that a file of another schema is reported as such rather than as a
    /// missing field.
    /// </summary>
    private static void CheckHeader(ReadOnlyMemory<byte> bytes, string name)
    {
        if (bytes.IsEmpty) throw NotAnArtifact(name, "the file is empty");
        var reader = new MessagePackReader(bytes);
        string? format = null;
        long? version = null;
        bool versionIsInteger = true;
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
                throw NotAnArtifact(name, "it does not start with a MessagePack map");
            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String) { reader.Skip(); reader.Skip(); continue; }
                switch (reader.ReadString())
                {
                    case "format" when reader.NextMessagePackType == MessagePackType.String:
                        format = reader.ReadString();
                        break;
                    case "schema_version":
                        if (reader.NextMessagePackType == MessagePackType.Integer) version = reader.ReadInt64();
                        else { versionIsInteger = false; reader.Skip(); }
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception e) when (IsParseError(e))
        {
            if (format == Format)
                throw new ArtifactFormatException($"{name}: truncated or corrupt MessagePack ({Innermost(e).Message})", e);
            throw NotAnArtifact(name, "it is not a MessagePack map with a \"format\" entry", e);
        }
        if (format != Format)
            throw NotAnArtifact(name, format is null ? "no \"format\" entry" : $"format is '{format}'");
        if (!reader.End)
            throw new ArtifactFormatException($"{name}: corrupt: {bytes.Length - reader.Consumed} bytes follow the artifact's map");
        if (!versionIsInteger) throw new ArtifactFormatException($"{name}: schema_version is not an integer");
        if (version is null) throw new ArtifactFormatException($"{name}: missing field 'schema_version'");
        if (version != ModelArtifact.CurrentSchemaVersion)
            throw new ArtifactFormatException($"{name}: unsupported schema version {version} (supported: {ModelArtifact.CurrentSchemaVersion})");
    }

    private static ArtifactFormatException NotAnArtifact(string name, string why, Exception? inner = null)
    {
        var message = $"{name}: not a HybridSpike artifact ({why}; expected a map with \"format\": \"{Format}\")";
        return inner is null ? new ArtifactFormatException(message) : new ArtifactFormatException(message, inner);
    }

    private static bool IsParseError(Exception e) =>
        e is MessagePackSerializationException or EndOfStreamException or OverflowException
            or InvalidOperationException or DecoderFallbackException;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static void Check(ModelArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (artifact.SchemaVersion != ModelArtifact.CurrentSchemaVersion)
            throw new ArgumentException($"schema version {artifact.SchemaVersion} cannot be written (this version writes {ModelArtifact.CurrentSchemaVersion})");
        if (!ArtifactArithmetic.Supported.Contains(artifact.Arithmetic))
            throw new ArgumentException($"arithmetic '{artifact.Arithmetic}' is not supported (supported: {string.Join(", ", ArtifactArithmetic.Supported)})");
        Require(artifact.Network, "network");
        Require(artifact.Metrics, "metrics");
        var p = Require(artifact.Provenance, "provenance");
        Require(p.ModelKind, "provenance.model_kind");
        Require(p.ConfigJson, "provenance.config_json");
        Require(p.Dataset, "provenance.dataset");
        Require(p.Seeds, "provenance.seeds");
        Require(p.CreatedUtc, "provenance.created_utc");
        Require(p.ToolVersion, "provenance.tool_version");
        Require(p.Notes, "provenance.notes");
        var n = artifact.Network;
        Require(n.Input, "network.input");
        Require(n.Input.Description, "network.input.description");
        Require(n.Output, "network.output");
        if (n.Populations.IsDefault) throw new ArgumentException("network.populations is not set");
        if (n.Connections.IsDefault) throw new ArgumentException("network.connections is not set");
        n.Validate();
    }

    private static T Require<T>(T? value, string field) where T : class =>
        value ?? throw new ArgumentException($"{field} is not set (null)");
}
