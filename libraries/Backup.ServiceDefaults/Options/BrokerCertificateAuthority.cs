using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Backup.ServiceDefaults.Options;

/// <summary>
/// Checks the broker's TLS certificate against the certificate authorities of <see cref="RabbitMqOptions.CaFile"/> only
/// (not the machine's store): the chain must end at one of them, and the name must match.
/// </summary>
public sealed class BrokerCertificateAuthority
{
    readonly X509Certificate2Collection roots;

    BrokerCertificateAuthority(X509Certificate2Collection roots) => this.roots = roots;

    /// <summary>The TLS versions spoken to the broker.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The name the broker's certificate must carry: RabbitMq:ServerName, or else the primary node's host.</summary>
    public static string ServerNameOf(RabbitMqOptions options) =>
        string.IsNullOrWhiteSpace(options.ServerName) ? options.PrimaryNode.Host : options.ServerName;

    /// <summary>A validation callback accepting only a certificate this authority trusts; each refusal goes to <paramref name="refused"/>.</summary>
    public RemoteCertificateValidationCallback Validator(Action<string> refused) => (_, certificate, _, errors) =>
    {
        var refusal = Refusal(certificate, errors);
        if (refusal is not null) refused(refusal);
        return refusal is null;
    };

    public static BrokerCertificateAuthority Load(string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        return new BrokerCertificateAuthority(roots);
    }

    /// <summary>Why <paramref name="caFile"/> can't be used as the broker's CA, or null.</summary>
    public static string? Problem(string caFile)
    {
        try
        {
            return Load(caFile).roots.Count == 0 ? $"the CA file '{caFile}' holds no PEM certificate." : null;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"the CA file '{caFile}' can't be read as PEM certificates: {e.Message}";
        }
    }

    /// <summary>Null when the certificate is trusted; otherwise why not, in words.</summary>
    public string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the broker presented no certificate";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return "the broker's certificate does not carry the name connected to (RabbitMq:Host or RabbitMq:ServerName)";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        if (chain.Build(presented)) return null;
        var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        return $"the broker's certificate ({presented.Subject}) is not signed by a CA of RabbitMq:CaFile: {status}";
    }
}
