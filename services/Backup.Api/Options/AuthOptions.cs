using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Api.Options;

/// <summary>
/// How the API checks the platform's JWT bearer tokens (section "Auth"). Either <see cref="Authority"/> (the
/// authentication service's base URL: its OpenID configuration and JWKS are fetched and refreshed from there) or
/// <see cref="SigningKeyFiles"/> (PEM public keys, RSA or EC, for a service without discovery). The issuer and the
/// audience are always checked; roles come from <see cref="RoleClaim"/>.
/// </summary>
public sealed class AuthOptions : IConfigurationSection<AuthOptions>, ISelfValidatingOptions
{
    public static string Section => "Auth";

    /// <summary>The tokens' "iss".</summary>
    [Required(ErrorMessage = "The issuer of the platform's tokens is required.")]
    public string Issuer { get; set; } = "";

    /// <summary>The "aud" the tokens must carry for this API.</summary>
    [Required(ErrorMessage = "The audience the platform's tokens are issued for is required.")]
    public string Audience { get; set; } = "";

    /// <summary>Base URL of the authentication service (https), whose /.well-known/openid-configuration names its JWKS. Empty: use SigningKeyFiles.</summary>
    public string Authority { get; set; } = "";

    /// <summary>PEM files with the public keys tokens are signed with (when there is no Authority).</summary>
    public string[] SigningKeyFiles { get; set; } = [];

    /// <summary>
    /// A PEM file of the CA (one or more certificates) that signed the authority's HTTPS certificate, trusted for its
    /// discovery document, JWKS and token endpoint (bearer tokens and the dashboard's sign-in) besides the system's CAs.
    /// </summary>
    public string CaFile { get; set; } = "";

    /// <summary>The claim that carries the caller's roles (a string or an array of strings).</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Role names, as the platform issues them, for reading runs and sources.</summary>
    public string[] ReaderRoles { get; set; } = [];

    /// <summary>Role names that may also trigger backups, download artifacts and request restores.</summary>
    public string[] OperatorRoles { get; set; } = [];

    /// <summary>Role names that may also delete backups and change schedules.</summary>
    public string[] AdminRoles { get; set; } = [];

    /// <summary>Clock skew tolerated on "exp" and "nbf".</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> EffectiveReaderRoles => ReaderRoles.Length > 0 ? ReaderRoles : ["backup.reader"];
    public IReadOnlyList<string> EffectiveOperatorRoles => OperatorRoles.Length > 0 ? OperatorRoles : ["backup.operator"];
    public IReadOnlyList<string> EffectiveAdminRoles => AdminRoles.Length > 0 ? AdminRoles : ["backup.admin"];

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (Authority.Length == 0 && SigningKeyFiles.Length == 0)
            yield return (nameof(Authority), "set the authentication service's URL (Auth:Authority), or its public keys (Auth:SigningKeyFiles:0, a PEM file).");
        if (Authority.Length > 0 && (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps))
            yield return (nameof(Authority), $"'{Authority}' is not an absolute https URL.");
        for (var i = 0; i < SigningKeyFiles.Length; i++)
            if (!File.Exists(SigningKeyFiles[i]))
                yield return ($"{nameof(SigningKeyFiles)}:{i}", $"'{SigningKeyFiles[i]}' does not exist.");
        if (CaFile.Length > 0 && !File.Exists(CaFile))
            yield return (nameof(CaFile), $"'{CaFile}' does not exist.");
        if (RoleClaim.Length == 0)
            yield return (nameof(RoleClaim), "name the claim that carries the roles, e.g. 'roles'.");
    }
}
