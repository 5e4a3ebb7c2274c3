using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Backup.Archive;
using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults.Options;
using Backup.Storage.Encryption;

namespace Backup.Restorer.Options;

/// <summary>
/// The restore server (section "Restore") and what the restorer restores with. A RestoreRequested names an artifact
/// and a database name; the server, its credentials and the keys come only from here.
/// </summary>
public sealed partial class RestoreOptions : IConfigurationSection<RestoreOptions>, ISelfValidatingOptions
{
    public static string Section => "Restore";

    /// <summary>Host name or IP address of the PostgreSQL server restores go to.</summary>
    [Required] public string Host { get; set; } = "";

    [Range(1, 65535)] public int Port { get; set; } = 5432;

    /// <summary>
    /// The role that creates the target databases: it needs CREATEDB. Whatever its rights, the restorer replaces
    /// (Overwrite) only databases a restore made.
    /// </summary>
    [Required] public string Username { get; set; } = "";

    /// <summary>A secret: from a secret file or the environment, never appsettings. Reaches pg_restore through a 0600 PGPASSFILE.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// TLS to the restore server (and to the drill server when Drills:Host is empty), for Npgsql and pg_restore alike. Prefer (the default) encrypts when the server offers TLS but
    /// checks no certificate; production should use VerifyFull with <see cref="RootCertificateFile"/>.
    /// </summary>
    public PgSslMode SslMode { get; set; } = PgSslMode.Prefer;

    /// <summary>PEM file of the CA that signed the restore server's certificate; required with VerifyCA and VerifyFull.</summary>
    public string RootCertificateFile { get; set; } = "";

    public PgTls Tls => new(SslMode, RootCertificateFile);

    /// <summary>The database the restorer connects to for CREATE and DROP DATABASE.</summary>
    [Required] public string MaintenanceDatabase { get; set; } = "postgres";

    /// <summary>
    /// Folder holding pg_restore, for example /usr/lib/postgresql/16/bin. Empty: pg_restore from PATH, else
    /// /usr/lib/postgresql/15/bin.
    /// </summary>
    public string PgBinDirectory { get; set; } = "";

    /// <summary>pg_restore's parallel jobs (--jobs) for each restore.</summary>
    [Range(1, 16)] public int Jobs { get; set; } = 2;

    /// <summary>Where each restore's private folder with the decoded archive goes; it needs room for the uncompressed archive. Empty: the system's temp folder.</summary>
    public string TempDirectory { get; set; } = "";

    /// <summary>How many restores this instance runs at once; the queue holds the rest.</summary>
    [Range(1, 4)] public int ConcurrentRestores { get; set; } = 1;

    /// <summary>An administrator's OpenPGP secret key file ('gpg --export-secret-keys --armor'), for encrypted artifacts.</summary>
    public string SecretKeyFile { get; set; } = "";

    /// <summary>The secret key's own passphrase (empty for a key without one). A secret.</summary>
    public string SecretKeyPassphrase { get; set; } = "";

    /// <summary>The passphrase the artifacts were encrypted to (the dumper's Encryption:Passphrase). A secret.</summary>
    public string Passphrase { get; set; } = "";

    [GeneratedRegex(@"^[A-Za-z0-9_.:\[\]][A-Za-z0-9_.:\[\]-]{0,252}\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (Host.Length > 0 && !HostName().IsMatch(Host))
            yield return (nameof(Host), "must be a host name or an IP address.");
        if (Username.Length > 0 && !PlainName().IsMatch(Username))
            yield return (nameof(Username), "must be a plain role name.");
        if (MaintenanceDatabase.Length > 0 && !PlainName().IsMatch(MaintenanceDatabase))
            yield return (nameof(MaintenanceDatabase), "must be a plain database name, such as postgres.");
        foreach (var problem in Tls.Problems())
            yield return problem;

        if (PgClientProblem() is { } pgBin)
            yield return (nameof(PgBinDirectory), pgBin);
        if (TempDirectory.Length > 0 && !Directory.Exists(TempDirectory))
            yield return (nameof(TempDirectory), $"'{TempDirectory}' does not exist; give an existing folder with room for an uncompressed archive, or leave it empty for the system's temp folder.");

        if (SecretKeyFile.Length > 0 && SecretKeyProblem() is { } secretKey)
            yield return (nameof(SecretKeyFile), secretKey);
        if (SecretKeyFile.Length == 0 && SecretKeyPassphrase.Length > 0)
            yield return (nameof(SecretKeyPassphrase), $"is set but {Section}:{nameof(SecretKeyFile)} is not; it is the passphrase of that key.");
        if (Passphrase.Length > 0 && string.IsNullOrWhiteSpace(Passphrase))
            yield return (nameof(Passphrase), "is only whitespace; give the real passphrase or leave it empty.");
        else if (Passphrase.AsSpan().IndexOfAny('\r', '\n') >= 0)
            yield return (nameof(Passphrase), "contains a line break; check the secret file for a stray newline in the middle.");
    }

    string? PgClientProblem()
    {
        try
        {
            PgClientTools.Locate(PgBinDirectory, RestorerCaller.Instance);
            return null;
        }
        catch (RecoveryException)
        {
            return PgBinDirectory.Length > 0
                ? $"'{PgBinDirectory}' has no pg_restore in it; give the bin folder of a PostgreSQL client (e.g. /usr/lib/postgresql/16/bin), or leave it empty to use pg_restore from PATH."
                : $"is empty and there is no pg_restore on PATH nor in {PgClientTools.DebianPostgres15Bin}; install the PostgreSQL client or give its bin folder.";
        }
    }

    string? SecretKeyProblem()
    {
        if (!File.Exists(SecretKeyFile))
            return $"'{SecretKeyFile}' does not exist; give the path of an administrator's secret key file ('gpg --export-secret-keys --armor <fingerprint>').";
        try
        {
            DecryptionKeys.FromSecretKeyFile(SecretKeyFile, SecretKeyPassphrase);
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"'{SecretKeyFile}' can't be read: {e.Message}";
        }
    }
}
