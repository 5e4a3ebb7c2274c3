using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Backup.Archive;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Restorer.Options;

/// <summary>
/// Restore drills (section "Drills"): after each backup, the restorer restores it into a scratch database on the
/// drill server and proves it (<c>Backup.Recovery.Drills.RestoreDrill</c>). The drill server is the restore server
/// unless <see cref="Host"/> is set; give it a server of its own, with none of the sources' roles, as a
/// disaster-recovery server would be. Per source: <c>Drills:Sources:&lt;source&gt;:Enabled|Every|RtoTarget|Checks:&lt;name&gt;</c>.
/// </summary>
public sealed partial class DrillOptions : IConfigurationSection<DrillOptions>, ISelfValidatingOptions
{
    public static string Section => "Drills";

    /// <summary>Drill the backups of every source (each source may turn its own off). Off: no drills at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The drill server's host; empty: the restore server (Restore:Host, Port, Username, Password, MaintenanceDatabase).</summary>
    public string Host { get; set; } = "";

    [Range(1, 65535)] public int Port { get; set; } = 5432;

    /// <summary>The role that creates and drops the scratch databases (CREATEDB). Required with Host.</summary>
    public string Username { get; set; } = "";

    /// <summary>A secret: from a secret file or the environment.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// TLS to the drill server when Host is set (empty Host: Restore:SslMode and Restore:RootCertificateFile), for Npgsql and pg_restore alike. Prefer (the default) encrypts when the server offers TLS but
    /// checks no certificate; production should use VerifyFull with <see cref="RootCertificateFile"/>.
    /// </summary>
    public PgSslMode SslMode { get; set; } = PgSslMode.Prefer;

    /// <summary>PEM file of the CA that signed the drill server's certificate; required with VerifyCA and VerifyFull.</summary>
    public string RootCertificateFile { get; set; } = "";

    public PgTls Tls => new(SslMode, RootCertificateFile);

    public string MaintenanceDatabase { get; set; } = "postgres";

    /// <summary>
    /// Drill on a server that holds a database named like the source's (it may be the source's own server). Off: such
    /// a drill fails and says so.
    /// </summary>
    public bool AllowSourceServer { get; set; }

    /// <summary>At most one drill per source per this interval (zero: every backup); a source may set its own.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan Every { get; set; } = TimeSpan.Zero;

    /// <summary>The recovery time objective a drill's measured recovery time is compared with; a source may set its own.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan RtoTarget { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Each check's statement timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The drill's own key for encrypted artifacts (an administrator's secret key file), so a drill also proves that the
    /// administrators' key opens the backup; empty: the restorer's (Restore:SecretKeyFile, Restore:Passphrase).
    /// </summary>
    public string SecretKeyFile { get; set; } = "";

    /// <summary>The drill key's own passphrase. A secret.</summary>
    public string SecretKeyPassphrase { get; set; } = "";

    /// <summary>Per-source settings, e.g. Drills:Sources:billing:Every = 1.00:00:00.</summary>
    public Dictionary<string, SourceDrillOptions> Sources { get; set; } = [];

    [GeneratedRegex(@"^[A-Za-z0-9_.:\[\]][A-Za-z0-9_.:\[\]-]{0,252}\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CheckName();

    /// <summary>Whether <paramref name="source"/>'s backups are drilled.</summary>
    public bool IsOn(string source) => Enabled && (Sources.GetValueOrDefault(source)?.Enabled ?? true);

    public TimeSpan EveryFor(string source) => Sources.GetValueOrDefault(source)?.Every ?? Every;

    public TimeSpan RtoTargetFor(string source) => Sources.GetValueOrDefault(source)?.RtoTarget ?? RtoTarget;

    /// <summary>The source's checks, in name order.</summary>
    public IReadOnlyList<(string Name, string Sql)> ChecksFor(string source) =>
        [.. (Sources.GetValueOrDefault(source)?.Checks ?? []).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value))];

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (Host.Length > 0 && !HostName().IsMatch(Host))
            yield return (nameof(Host), "must be a host name or an IP address.");
        if (Host.Length > 0 && Username.Length == 0)
            yield return (nameof(Username), $"is required when {Section}:{nameof(Host)} is set: the role that creates the scratch databases (CREATEDB).");
        if (Username.Length > 0 && !PlainName().IsMatch(Username))
            yield return (nameof(Username), "must be a plain role name.");
        if (!PlainName().IsMatch(MaintenanceDatabase))
            yield return (nameof(MaintenanceDatabase), "must be a plain database name, such as postgres.");
        if (Host.Length > 0)
        {
            foreach (var problem in Tls.Problems())
                yield return problem;
        }
        else if (Tls != PgTls.Default)
            yield return (nameof(SslMode), $"{nameof(SslMode)} and {nameof(RootCertificateFile)} apply only with {Section}:{nameof(Host)}; without it drills go to the restore server with Restore:SslMode and Restore:RootCertificateFile.");
        if (SecretKeyFile.Length > 0 && !File.Exists(SecretKeyFile))
            yield return (nameof(SecretKeyFile), $"'{SecretKeyFile}' does not exist; give the path of an administrator's secret key file ('gpg --export-secret-keys --armor <fingerprint>').");
        if (SecretKeyFile.Length == 0 && SecretKeyPassphrase.Length > 0)
            yield return (nameof(SecretKeyPassphrase), $"is set but {Section}:{nameof(SecretKeyFile)} is not; it is the passphrase of that key.");
        foreach (var (source, own) in Sources)
        {
            if (!SourceNames.IsValid(source))
            {
                yield return ($"{nameof(Sources)}:{source}", $"not a source name ({SourceNames.Rule}).");
                continue;
            }
            foreach (var (name, sql) in own.Checks)
            {
                if (!CheckName().IsMatch(name))
                    yield return ($"{nameof(Sources)}:{source}:Checks:{name}", "a check's name is letters, digits, '-' and '_' (at most 63).");
                else if (string.IsNullOrWhiteSpace(sql))
                    yield return ($"{nameof(Sources)}:{source}:Checks:{name}", "is empty; give a query that returns true on good data, e.g. SELECT count(*) > 0 FROM billing.invoices.");
            }
        }
    }
}

/// <summary>One source's drill settings; null ones take the section's.</summary>
public sealed class SourceDrillOptions
{
    /// <summary>False: this source's backups are not drilled.</summary>
    public bool? Enabled { get; set; }

    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan? Every { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan? RtoTarget { get; set; }

    /// <summary>Named read-only queries that must return true on the restored data, e.g. Checks:invoices = SELECT count(*) &gt; 0 FROM billing.invoices.</summary>
    public Dictionary<string, string> Checks { get; set; } = [];
}
