using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace HybridSpike.Actors.Cluster;

/// <summary>Which peers a node with TLS accepts.</summary>
public enum TlsTrust
{
    /// <summary>
    /// Only peers that present one of the pinned certificates: the node's own (every node of the cluster shares it) and
    /// any listed under <c>accept-thumbprints</c> (a certificate being rolled out). Self-made certificates work; no
    /// certificate authority is asked.
    /// </summary>
    Pinned,

    /// <summary>Peers whose certificate chains to a certificate authority this machine trusts (Akka's own validation).</summary>
    CertificateAuthority,
}

/// <summary>
/// A node's TLS settings (<c>hybridspike.cluster.tls</c>), read once with the node's file: the certificate is loaded
/// then, so that a missing file, a wrong password or a certificate without its private key is refused naming the key,
/// before the node starts. Both sides of every connection present their certificate (mutual TLS) and check the
/// other's; a node without TLS, or with a certificate the others do not accept, never completes a handshake and so
/// never joins.
/// </summary>
/// <param name="Certificate">The node's certificate with its private key (PKCS#12).</param>
/// <param name="AcceptThumbprints">The SHA-1 thumbprints a <see cref="TlsTrust.Pinned"/> node accepts, its own first.</param>
public sealed record ClusterTls(string CertificatePath, X509Certificate2 Certificate, TlsTrust Trust, ImmutableArray<string> AcceptThumbprints)
{
    /// <summary>Where the settings live.</summary>
    public const string Path = "hybridspike.cluster.tls";

    /// <summary>The settings of <paramref name="config"/>, or null when TLS is off; errors name <paramref name="source"/> and the key.</summary>
    public static ClusterTls? Read(Config config, string source)
    {
        string Key(string key) => $"{source}: {Path}.{key}";
        if (!config.GetBoolean($"{Path}.enabled", false)) return null;

        var path = config.GetString($"{Path}.certificate", "");
        if (string.IsNullOrWhiteSpace(path))
            throw new InvalidDataException($"{Key("certificate")} is empty; with TLS on, every node needs the cluster's certificate (a PKCS#12 .pfx file with its private key)");
        if (!File.Exists(path)) throw new InvalidDataException($"{Key("certificate")}: '{path}' does not exist");

        var password = config.GetString($"{Path}.password", "");
        var variable = config.GetString($"{Path}.password-env", "");
        if (variable.Length > 0)
        {
            // The password from the environment keeps it out of a file that is copied to every machine.
            password = Environment.GetEnvironmentVariable(variable)
                ?? throw new InvalidDataException($"{Key("password-env")}: the environment variable '{variable}' is not set");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{Key("certificate")}: '{path}' cannot be read as a PKCS#12 certificate with this password ({e.Message.TrimEnd('.')})", e);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidDataException($"{Key("certificate")}: '{path}' holds no private key; a node presents its certificate and must prove it owns it");

        var trustText = config.GetString($"{Path}.trust", "pinned");
        var trust = trustText switch
        {
            "pinned" => TlsTrust.Pinned,
            "certificate-authority" => TlsTrust.CertificateAuthority,
            _ => throw new InvalidDataException($"{Key("trust")} is '{trustText}'; it is pinned or certificate-authority"),
        };

        var accept = ImmutableArray.CreateBuilder<string>();
        accept.Add(certificate.Thumbprint);
        foreach (var text in config.GetStringList($"{Path}.accept-thumbprints") ?? [])
        {
            var thumbprint = text.Replace(":", "").Replace(" ", "").ToUpperInvariant();
            if (thumbprint.Length != 40 || !thumbprint.All(Uri.IsHexDigit))
                throw new InvalidDataException($"{Key("accept-thumbprints")}: '{text}' is not a SHA-1 thumbprint (40 hex digits)");
            if (!accept.Contains(thumbprint)) accept.Add(thumbprint);
        }
        return new ClusterTls(path, certificate, trust, accept.ToImmutable());
    }

    /// <summary>
    /// Akka.Remote's TLS for this node: mutual authentication, the peer's certificate checked by pinning or by its chain;
    /// no host name check (nodes connect by IP address, and a pinned certificate is the same on every machine).
    /// </summary>
    public DotNettySslSetup Setup() => Trust switch
    {
        TlsTrust.Pinned => new DotNettySslSetup(Certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, CertificateValidation.PinnedCertificate([.. AcceptThumbprints])),
        _ => new DotNettySslSetup(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false),
    };

    /// <summary>The settings without the certificate's bytes (a record would print them all).</summary>
    public override string ToString() => $"TLS with {CertificatePath} ({Certificate.Subject}, {Certificate.Thumbprint}), trust {Trust}";
}
