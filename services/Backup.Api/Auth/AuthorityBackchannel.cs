using System.Security.Cryptography.X509Certificates;
using Backup.Api.Options;

namespace Backup.Api.Auth;

/// <summary>The HTTP handler for calls to Auth:Authority (discovery, JWKS, token endpoint): the system's CAs, and Auth:CaFile's when set.</summary>
public static class AuthorityBackchannel
{
    /// <summary>A handler trusting Auth:CaFile's certificates as roots (beside the system's), or null for the default handler.</summary>
    public static HttpMessageHandler? Handler(AuthOptions auth)
    {
        if (auth.CaFile.Length == 0) return null;
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(auth.CaFile);
        return new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == System.Net.Security.SslPolicyErrors.None
                    || (certificate is X509Certificate2 presented && errors == System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors
                        && ChainsTo(presented, authorities)),
            },
        };
    }

    // The certificate chains to one of the file's CAs (name mismatches and a missing certificate are never forgiven).
    static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
