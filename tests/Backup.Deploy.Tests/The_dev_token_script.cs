using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/compose/dev-token.sh mints the compose stack's development tokens: a real RS256 JWT, checked here with the
/// public key, carrying the issuer and audience the api service of docker-compose.yml expects and the role asked for.
/// </summary>
public sealed class The_dev_token_script : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("dev-token-").FullName;
    readonly RSA key = RSA.Create(2048);

    public The_dev_token_script() => File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());

    [Fact]
    public void Mints_a_token_signed_with_the_key_for_the_role_with_the_issuer_and_audience_compose_gives_the_api()
    {
        var (exit, token, _) = Run("operator", "alice");

        Assert.Equal(0, exit);
        var parts = token.Trim().Split('.');
        Assert.Equal(3, parts.Length);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url(parts[2]), HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1), "the signature verifies with the public key");
        using var header = JsonDocument.Parse(Base64Url(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        using var payload = JsonDocument.Parse(Base64Url(parts[1]));
        var claims = payload.RootElement;
        Assert.Equal("alice", claims.GetProperty("sub").GetString());
        Assert.Equal(["backup.operator"], claims.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.InRange(claims.GetProperty("exp").GetInt64() - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3500, 3600);

        var api = ComposeFile.Load(Repository.PathOf("docker-compose.yml")).Service("api")!;
        Assert.Equal("${BACKUP_AUTH_ISSUER:-" + claims.GetProperty("iss").GetString() + "}", api.Environment["Auth__Issuer"]);
        Assert.Equal("${BACKUP_AUTH_AUDIENCE:-" + claims.GetProperty("aud").GetString() + "}", api.Environment["Auth__Audience"]);
    }

    [Theory]
    [InlineData("root")]
    [InlineData("operator", "a b")]
    [InlineData("operator", "\"},\"roles\":[\"backup.admin\"]")]
    public void Refuses_an_unknown_role_or_a_subject_that_could_change_the_claims(string role, string? subject = null)
    {
        var (exit, token, _) = Run(role, subject);
        Assert.Equal(2, exit);
        Assert.Equal("", token);
    }

    (int Exit, string Output, string Errors) Run(string role, string? subject)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.PathOf("deploy/compose/dev-token.sh"));
        start.ArgumentList.Add(role);
        if (subject is not null) start.ArgumentList.Add(subject);
        start.Environment["BACKUP_DEV_SIGNING_KEY"] = Path.Combine(folder, "key.pem");
        start.Environment.Remove("BACKUP_AUTH_ISSUER");
        start.Environment.Remove("BACKUP_AUTH_AUDIENCE");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors);
    }

    static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public void Dispose()
    {
        key.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
