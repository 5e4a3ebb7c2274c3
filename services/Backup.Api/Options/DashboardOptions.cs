using Backup.Api.Auth;
using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Api.Options;

/// <summary>
/// The dashboard's sign-in (section "Dashboard"): an OpenID Connect client of Auth:Authority (authorization code with
/// PKCE) whose ID token's roles (Auth:RoleClaim) are the API's roles, kept in a session cookie.
/// </summary>
public sealed class DashboardOptions : IConfigurationSection<DashboardOptions>, ISelfValidatingOptions
{
    public static string Section => "Dashboard";

    /// <summary>The client id registered at the authority; the ID token's audience.</summary>
    [Required(ErrorMessage = "The dashboard's client id at the authority is required.")]
    public string ClientId { get; set; } = "backup-dashboard";

    /// <summary>The client's secret when the authority registered it as a confidential client; empty for a public one (PKCE alone).</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The scopes asked for, space separated.</summary>
    public string Scopes { get; set; } = "openid profile";

    /// <summary>How long a session lasts without a request (sliding).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Development only: a PEM private key (RSA or EC) whose public half is one of Auth:SigningKeyFiles. When set,
    /// /signin/dev signs anyone in with the role they pick (a token signed with this key, checked like the platform's).
    /// Ignored (warning 6005) when Auth:Authority is set: beside the platform's sign-in it would be a way around it.
    /// </summary>
    public string DevelopmentSigningKeyFile { get; set; } = "";

    /// <summary>
    /// A folder (a volume) where the keys that protect the session cookie are kept, so sessions outlive a restart and
    /// every replica reads the others' cookies. Empty: ASP.NET Core's default (the user profile, else memory).
    /// </summary>
    public string KeysFolder { get; set; } = "";

    public IEnumerable<string> ScopeList => Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!ScopeList.Contains("openid"))
            yield return (nameof(Scopes), $"'{Scopes}' lacks 'openid' (the sign-in needs an ID token).");
        if (KeysFolder.Length > 0 && !Directory.Exists(KeysFolder))
            yield return (nameof(KeysFolder), $"'{KeysFolder}' is not a folder.");
        if (DevelopmentSigningKeyFile.Length == 0) yield break;
        if (!File.Exists(DevelopmentSigningKeyFile))
            yield return (nameof(DevelopmentSigningKeyFile), $"'{DevelopmentSigningKeyFile}' does not exist.");
        else if (!HoldsPrivateKey(DevelopmentSigningKeyFile))
            yield return (nameof(DevelopmentSigningKeyFile), $"'{DevelopmentSigningKeyFile}' holds no PEM private key (RSA or EC).");
    }

    static bool HoldsPrivateKey(string path)
    {
        if (!File.ReadAllText(path).Contains("PRIVATE KEY", StringComparison.Ordinal)) return false;
        try
        {
            PemKeys.Read(path);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
