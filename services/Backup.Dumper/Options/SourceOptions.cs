using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Backup.Archive;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Dumper.Options;

/// <summary>
/// The databases this dumper may back up, by name ("Sources:&lt;name&gt;"). A BackupRequested names a source; the
/// connection, credentials and the critical-data selection come only from here.
/// </summary>
public sealed class SourcesOptions : Dictionary<string, SourceOptions>, IConfigurationSection<SourcesOptions>, ISelfValidatingOptions
{
    public static string Section => "Sources";

    public IEnumerable<(string Key, string Problem)> Validate() =>
        Keys.Where(name => !SourceNames.IsValid(name))
            .Select(name => (name, $"'{name}' is not a valid source name: use {SourceNames.Rule}."));
}

/// <summary>One source database and the part of it that is critical.</summary>
public sealed partial class SourceOptions : ISelfValidatingOptions
{
    [Required] public string Host { get; set; } = "";
    [Range(1, 65535)] public int Port { get; set; } = 5432;
    [Required] public string Database { get; set; } = "";
    [Required] public string Username { get; set; } = "";

    /// <summary>A secret: from a secret file or the environment, never appsettings. Reaches pg_dump through a 0600 PGPASSFILE.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// TLS to this source, for the dumper's session and pg_dump alike. Prefer (the default) encrypts when the server
    /// offers TLS but checks no certificate; production should use VerifyFull with <see cref="RootCertificateFile"/>.
    /// </summary>
    public PgSslMode SslMode { get; set; } = PgSslMode.Prefer;

    /// <summary>PEM file of the CA that signed the source server's certificate; required with VerifyCA and VerifyFull.</summary>
    public string RootCertificateFile { get; set; } = "";

    public PgTls Tls => new(SslMode, RootCertificateFile);

    /// <summary>Only these schemas (pg_dump --schema). Empty: all.</summary>
    public string[] IncludeSchemas { get; set; } = [];
    public string[] ExcludeSchemas { get; set; } = [];

    /// <summary>Only these tables, "schema.table" or "table" (pg_dump --table). Empty: all in the included schemas.</summary>
    public string[] IncludeTables { get; set; } = [];
    public string[] ExcludeTables { get; set; } = [];

    /// <summary>Tables whose definition is kept but whose rows are left out (pg_dump --exclude-table-data).</summary>
    public string[] ExcludeTableData { get; set; } = [];

    /// <summary>
    /// Fail the backup, rather than only warn in the manifest, when an archived table has a foreign key to a table
    /// (or to rows) left out of it: such an archive does not restore cleanly.
    /// </summary>
    public bool Strict { get; set; }

    // Names end up as pg_dump arguments: they must be plain (optionally '*'-patterned) identifiers, so that no value
    // can start with '-', carry '=' or a connection string, or spell anything but a name.
    [GeneratedRegex(@"^[A-Za-z_*][A-Za-z0-9_$*]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^([A-Za-z_*][A-Za-z0-9_$*]{0,62}\.)?[A-Za-z_*][A-Za-z0-9_$*]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    [GeneratedRegex(@"^[A-Za-z0-9_.:\[\]][A-Za-z0-9_.:\[\]-]{0,252}\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (Host.Length > 0 && !HostName().IsMatch(Host))
            yield return (nameof(Host), "must be a host name or an IP address.");
        if (Database.Length > 0 && !PlainName().IsMatch(Database))
            yield return (nameof(Database), "must be a plain database name (letters, digits, '_', '.', '$', '-'; not starting with '-'; no '=').");
        if (Username.Length > 0 && !PlainName().IsMatch(Username))
            yield return (nameof(Username), "must be a plain role name.");
        foreach (var problem in Tls.Problems())
            yield return problem;
        foreach (var problem in Names(nameof(IncludeSchemas), IncludeSchemas, Identifier()))
            yield return problem;
        foreach (var problem in Names(nameof(ExcludeSchemas), ExcludeSchemas, Identifier()))
            yield return problem;
        foreach (var problem in Names(nameof(IncludeTables), IncludeTables, QualifiedName()))
            yield return problem;
        foreach (var problem in Names(nameof(ExcludeTables), ExcludeTables, QualifiedName()))
            yield return problem;
        foreach (var problem in Names(nameof(ExcludeTableData), ExcludeTableData, QualifiedName()))
            yield return problem;
    }

    static IEnumerable<(string, string)> Names(string key, string[] names, Regex shape) =>
        names.Select((name, index) => (name, index))
            .Where(n => !shape.IsMatch(n.name))
            .Select(n => ($"{key}:{n.index}", $"'{n.name}' is not a plain schema or table name (letters, digits, '_', '$', '*', optionally 'schema.table')."));
}
