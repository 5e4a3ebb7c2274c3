using Backup.Storage;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>A real database and what the stock pg_dump wrote of it, as the dumper runs it (custom format, --compress=0).</summary>
public interface IDumpedSource
{
    PostgresServer Postgres { get; }
    string Database { get; }
    string ServerVersion { get; }
    string PgDumpVersion { get; }

    /// <summary>The dumped tables with their real row counts.</summary>
    IReadOnlyList<ManifestTable> Tables { get; }

    /// <summary>The plain custom-format archive.</summary>
    byte[] Archive { get; }
}
