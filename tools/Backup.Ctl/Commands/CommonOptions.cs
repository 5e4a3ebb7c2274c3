using System.CommandLine;

namespace Backup.Ctl.Commands;

/// <summary>The options several commands share, made fresh for each command.</summary>
public static class CommonOptions
{
    public static Option<string> Store() => new("--store")
    {
        Description = "The artifact store's folder (the services' Storage:Root), e.g. /var/lib/backup/artifacts.",
        HelpName = "DIR",
        Required = true,
    };

    public static Argument<string> Key() => new("KEY")
    {
        Description = "The artifact's store-relative key, as 'backupctl list' prints it (demo/2026/11/24/20261124T020000Z-<run id>.dump.zst).",
    };

    public static Option<string?> PgBin() => new("--pg-bin")
    {
        Description = $"Folder of the PostgreSQL client programs (pg_restore). Default: PATH, else {Backup.Recovery.Postgres.PgClientTools.DebianPostgres15Bin}.",
        HelpName = "DIR",
    };
}
