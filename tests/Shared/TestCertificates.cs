using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HybridSpike.Tests.Shared;

/// <summary>Certificates the cluster tests make for themselves (linked into the test projects that need one).</summary>
internal static class TestCertificates
{
    /// <summary>
    /// A self-signed certificate with its private key, as a PKCS#12 file <c>NAME.pfx</c> in <paramref name="dir"/>: what the
    /// <c>openssl</c> lines of cluster-config/tls.hocon make. Each node is a server to some peers and a client to others
    /// (mutual TLS), so it may serve both.
    /// </summary>
    public static string Make(string dir, string name, string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(dir, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }
}
