using Backup.Contracts;
using MimeKit;
using static Backup.Notifier.Mail.BackupEmails;

namespace Backup.Notifier.Mail;

/// <summary>
/// The warning of a backup whose data looks wrong next to its source's recent backups (BackupDataSuspicious): which
/// tables, the previous and the new row counts, and the first thing to check. Built like <see cref="BackupEmails"/>.
/// </summary>
public static class DataWarningEmails
{
    public static MimeMessage Warning(string from, IEnumerable<string> to, BackupDataSuspicious suspicious)
    {
        var text = Text(suspicious);
        return Message(from, to, $"[Backup] WARNING {OneLine(suspicious.Source)}: {OneLine(Summary(suspicious))}",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
    }

    /// <summary>One line: the tables and what happened to them, e.g. "table public.orders emptied (1200 → 0 rows)".</summary>
    public static string Summary(BackupDataSuspicious suspicious)
    {
        var shown = suspicious.Findings.Take(3).Select(Describe);
        var more = suspicious.Findings.Count > 3 ? $" and {suspicious.Findings.Count - 3} more" : "";
        return (suspicious.Findings.Count == 1 ? "table " : "tables ") + string.Join("; ", shown) + more;
    }

    public static string Title(BackupDataSuspicious suspicious) => $"Backup of {suspicious.Source}: the data looks wrong: {Summary(suspicious)}";

    public static string Text(BackupDataSuspicious suspicious) => $"""
        WARNING: the latest backup of {suspicious.Source} holds much less data than the backups before it.
        The backup itself is Completed and kept; this is a warning about the data in the source, not a failed backup.

        Run       {suspicious.RunId}
        Artifact  {suspicious.ArtifactKey}
        Detected  {Time(suspicious.DetectedAt)}

        Tables (rows in the previous backup → rows now):
        {string.Join("\n", suspicious.Findings.Select(f => $"  - {Describe(f)}"))}

        First thing to check: {FirstCheck}
        Until you know, keep the earlier backups: they hold the rows (GET /api/v1/runs?source={suspicious.Source} lists them; a restore
        of the latest one from before the change brings the table back). If the change was intended, nothing needs doing: the next
        backup is compared with this one. Thresholds: Catalog:DataChecks:Sources:{suspicious.Source} (MaxDropShare, Enabled, Tables).
        """;

    public const string FirstCheck =
        "was this table emptied on purpose? Ask its owners whether a cleanup, a migration or a changed backup selection removed these rows " +
        "or tables; if nobody did, look at the source's recent deletes and logins (an application bug or an attacker).";

    static string Describe(DataFinding f) => f.Finding switch
    {
        DataFindings.Disappeared => $"{f.Schema}.{f.Table} disappeared ({f.PreviousRows} rows before, no longer in the backup)",
        _ => $"{f.Schema}.{f.Table} {f.Finding} ({f.PreviousRows} → {f.Rows} rows)",
    };
}
