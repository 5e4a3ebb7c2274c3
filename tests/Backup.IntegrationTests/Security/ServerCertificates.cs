using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// The CA that signed the test PostgreSQL servers' certificates (deploy/local/infra.sh makes it, BACKUP_PG_CA_FILE),
/// and CAs of the test's own that signed nothing the servers present.
/// </summary>
public static class ServerCertificates
{
    /// <summary>The PEM file of the CA the test servers' certificates are signed by.</summary>
    public static string CaFile => Environment.GetEnvironmentVariable("BACKUP_PG_CA_FILE") is { Length: > 0 } file && File.Exists(file)
        ? file
        : throw new InvalidOperationException(
            "BACKUP_PG_CA_FILE is not set or not there: the TLS tests need the PostgreSQL servers of a current deploy/local/infra.sh instance (ssl=on, its throwaway CA).");

    /// <summary>Writes a fresh self-signed CA certificate (PEM) into <paramref name="folder"/>: a CA that signed nothing.</summary>
    public static string WriteOtherCa(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=a CA that signed nothing of the servers'", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var file = Path.Combine(folder, "other-ca.crt");
        File.WriteAllText(file, certificate.ExportCertificatePem());
        return file;
    }
}
