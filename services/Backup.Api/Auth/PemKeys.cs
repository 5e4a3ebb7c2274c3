using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Backup.Api.Auth;

/// <summary>A PEM key file (public or private, RSA or EC) as a signing key with its algorithm, named after the file.</summary>
public static class PemKeys
{
    /// <summary>Reads <paramref name="path"/>; <see cref="ArgumentException"/> when it holds neither an RSA nor an EC key.</summary>
    public static (SecurityKey Key, string Algorithm) Read(string path)
    {
        var pem = File.ReadAllText(path);
        var keyId = Path.GetFileNameWithoutExtension(path);
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return (new RsaSecurityKey(rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256);
        }
        catch (ArgumentException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return (new ECDsaSecurityKey(ec) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256);
        }
    }
}
