using System.Security.Cryptography;
using System.Text;
using HybridSpike.Core.Network;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridSpike.Core.Artifact;

/// <summary>
/// Reads and writes the deployment artifact: one MessagePack map with readable string keys
/// (<c>"format": "hybridspike-artifact"</c>, <c>"schema_version": 2</c>, ..., <c>"digest"</c> last), weights and biases as
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
    public static ModelArtifact Read(string path) => ReadWithDigest(path).Artifact;

    /// <summary>
    /// <see cref="Read"/>, with the artifact's digest (lowercase hex SHA-256, see <see cref="DigestedArtifact"/>):
    /// checked against the one stored in a schema 2 file, computed over the whole file for schema 1.
    /// </summary>
    public static DigestedArtifact ReadWithDigest(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            // Checked before reading: a file too large to be an artifact is not read into memory at all.
            long length = new FileInfo(path).Length;
            if (length > ArtifactLimits.MaxFileBytes)
                throw new ArtifactFormatException($"{path}: the file has {length} bytes, over the limit of {ArtifactLimits.MaxFileBytes} for an artifact");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArtifactFormatException($"{path}: file not found", e);
        }
        return DeserializeWithDigest(bytes, path);
    }

    /// <summary>
    /// The artifact's bytes, schema <see cref="ModelArtifact.CurrentSchemaVersion"/>: the map ends with its
    /// "digest" entry, the SHA-256 of every byte before that entry. Checks first: the schema version, a
    /// supported arithmetic, every field set, <see cref="NetworkDescription.Validate"/> and
    /// <see cref="ArtifactLimits"/>; a problem throws <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static byte[] Serialize(ModelArtifact artifact)
    {
        Check(artifact);
        var dto = ArtifactMapping.ToDto(artifact);
        dto.Digest = new byte[DigestBytes];      // a placeholder of the right length, filled in below
        var bytes = MessagePackSerializer.Serialize(dto, Options);
        if (!bytes.AsSpan(bytes.Length - DigestEntryBytes, DigestEntryBytes - DigestBytes).SequenceEqual(DigestEntryHead))
            throw new InvalidOperationException("the serializer did not write the digest as the map's last entry");
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - DigestEntryBytes), bytes.AsSpan(bytes.Length - DigestBytes));
        return bytes;
    }

    /// <summary>Reads an artifact from its bytes; <paramref name="name"/> (a path, a URL) starts every error message.</summary>
    public static ModelArtifact Deserialize(ReadOnlyMemory<byte> bytes, string name) => DeserializeWithDigest(bytes, name).Artifact;

    /// <summary><see cref="Deserialize"/>, with the artifact's digest (see <see cref="ReadWithDigest"/>).</summary>
    public static DigestedArtifact DeserializeWithDigest(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (bytes.Length > ArtifactLimits.MaxFileBytes)
            throw new ArtifactFormatException($"{name}: {bytes.Length} bytes, over the limit of {ArtifactLimits.MaxFileBytes} for an artifact");
        string digest = CheckHeader(bytes, name);
        ArtifactDto dto;
        try
        {
            dto = MessagePackSerializer.Deserialize<ArtifactDto>(bytes, Options);
        }
        catch (MessagePackSerializationException e)
        {
            if (ArtifactTypes.FirstMismatch(bytes) is { } field)
                throw new ArtifactFormatException($"{name}: corrupt artifact: {field}", e);
            throw new ArtifactFormatException($"{name}: corrupt artifact: a field has the wrong MessagePack type or is damaged ({Innermost(e).Message})", e);
        }
        return new DigestedArtifact(ArtifactMapping.FromDto(dto, name), digest);
    }

    /// <summary>Bytes of a SHA-256.</summary>
    private const int DigestBytes = 32;

    /// <summary>How the digest entry starts: the key "digest" (fixstr), then a bin8 of 32 bytes.</summary>
    private static readonly byte[] DigestEntryHead = [0xa6, .. "digest"u8, 0xc4, DigestBytes];

    /// <summary>The digest entry's length: the last bytes of a schema 2 file.</summary>
    private static readonly int DigestEntryBytes = DigestEntryHead.Length + DigestBytes;

    /// <summary>A digest as lowercase hex.</summary>
    private static string Hex(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);

    /// <summary>
    /// Looks at the raw bytes before anything is deserialized: every length they declare must fit in the file
    /// (<see cref="MessagePackScan"/>); is this a HybridSpike artifact, of a schema this version reads; and for
    /// schema 2, does its digest match? Returns the digest. Done before the full read, so that a file of another
    /// schema is reported as such rather than as a missing field, and a damaged one as damaged.
    /// </summary>
    private static string CheckHeader(ReadOnlyMemory<byte> memory, string name)
    {
        if (memory.IsEmpty) throw NotAnArtifact(name, "the file is empty");
        var bytes = memory.Span;
        var entries = new List<TopLevelEntry>();
        Exception? damage = null;
        long trailing = 0;
        try
        {
            MessagePackScan.TopLevel(bytes, entries);
        }
        catch (MessagePackScan.NotAMapException)
        {
            throw NotAnArtifact(name, "it does not start with a MessagePack map");
        }
        catch (MessagePackScan.TrailingBytesException e)
        {
            trailing = e.Count;
        }
        catch (FormatException e)
        {
            damage = e;
        }
        string? format = null;
        long? version = null;
        bool versionIsInteger = true;
        foreach (var entry in entries)
        {
            if (entry.Key == "format") format = MessagePackScan.TryString(bytes, entry.ValueStart);
            else if (entry.Key == "schema_version")
            {
                var reader = new MessagePackReader(memory[entry.ValueStart..entry.ValueEnd]);
                try
                {
                    if (reader.NextMessagePackType == MessagePackType.Integer) version = reader.ReadInt64();
                    else versionIsInteger = false;
                }
                catch (OverflowException) { versionIsInteger = false; }   // a uint64 above long.MaxValue
            }
        }
        if (damage is not null)
        {
            if (format == Format)
                throw new ArtifactFormatException($"{name}: truncated or corrupt MessagePack ({damage.Message})", damage);
            throw NotAnArtifact(name, $"it is not a MessagePack map with a \"format\" entry: {damage.Message}", damage);
        }
        if (format != Format)
            throw NotAnArtifact(name, format is null ? "no \"format\" entry" : $"format is '{format}'");
        if (trailing > 0)
            throw new ArtifactFormatException($"{name}: corrupt: {trailing} bytes follow the artifact's map (appended to the file?)");
        if (!versionIsInteger) throw new ArtifactFormatException($"{name}: schema_version is not an integer");
        if (version is null) throw new ArtifactFormatException($"{name}: missing field 'schema_version'");
        if (!ModelArtifact.ReadableSchemaVersions.Contains((int)Math.Clamp(version.Value, int.MinValue, int.MaxValue)))
            throw new ArtifactFormatException($"{name}: unsupported schema version {version} (supported: {string.Join(", ", ModelArtifact.ReadableSchemaVersions)})");
        if (version == 1) return Hex(SHA256.HashData(bytes));   // no stored digest: the file's own hash names it
        return CheckDigest(bytes, entries, name);
    }

    private static string CheckDigest(ReadOnlySpan<byte> bytes, List<TopLevelEntry> entries, string name)
    {
        int at = entries.FindIndex(e => e.Key == "digest");
        if (at < 0) throw new ArtifactFormatException($"{name}: missing field 'digest' (schema 2 stores the SHA-256 of its contents)");
        var entry = entries[at];
        if (at != entries.Count - 1)
            throw new ArtifactFormatException($"{name}: corrupt: 'digest' is entry {at + 1} of {entries.Count}; it must be the map's last entry");
        var stored = bytes[entry.ValueStart..entry.ValueEnd];
        if (stored.Length != 2 + DigestBytes || stored[0] != 0xc4 || stored[1] != DigestBytes)
            throw new ArtifactFormatException($"{name}: digest is not a bin of {DigestBytes} bytes (a SHA-256)");
        Span<byte> actual = stackalloc byte[DigestBytes];
        SHA256.HashData(bytes[..entry.Start], actual);
        if (!actual.SequenceEqual(stored[2..]))
            throw new ArtifactFormatException(
                $"{name}: the digest does not match: the file stores {Hex(stored[2..])[..12]}…, its contents hash to {Hex(actual)[..12]}… (the file is damaged or was changed after it was written)");
        return Hex(actual);
    }

    private static ArtifactFormatException NotAnArtifact(string name, string why, Exception? inner = null)
    {
        var message = $"{name}: not a HybridSpike artifact ({why}; expected a map with \"format\": \"{Format}\")";
        return inner is null ? new ArtifactFormatException(message) : new ArtifactFormatException(message, inner);
    }

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
        if (ArtifactLimits.Exceeded(n) is { } limit) throw new ArgumentException(limit);
        n.Validate();
    }

    private static T Require<T>(T? value, string field) where T : class =>
        value ?? throw new ArgumentException($"{field} is not set (null)");
}
