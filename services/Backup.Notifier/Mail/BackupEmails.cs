using System.Globalization;
using System.Net;
using Backup.Contracts;
using Backup.Notifier.Drills;
using Backup.Storage;
using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>What the backup email says about its artifact, decided before it is built.</summary>
public sealed record BackupMailContent(
    BackupCompleted Backup,
    ArtifactKey Key,
    ArtifactManifest? Manifest,
    string StoreLocation,
    Stream? Attachment,
    string? DownloadUrl,
    string? NotAttachedBecause,
    BackupVerificationStatus? Verification = null);

/// <summary>
/// The messages the notifier sends, built with MimeKit: addresses are parsed mailboxes, subjects and bodies are
/// MimeKit values (never headers assembled from strings), every value from a message is HTML-encoded in the HTML
/// body and stripped of control characters in a subject.
/// </summary>
public static class BackupEmails
{
    public static MimeMessage Completed(string from, IEnumerable<string> to, BackupMailContent content)
    {
        var (backup, key, manifest) = (content.Backup, content.Key, content.Manifest);
        var database = RestoreDatabaseName(backup.Source, backup.CompletedAt);
        var facts = new (string Name, string Value)[]
        {
            ("Source", backup.Source),
            ("Run", backup.RunId.ToString()),
            ("Started", Time(backup.StartedAt)),
            ("Completed", Time(backup.CompletedAt)),
            ("Duration", Duration(backup.CompletedAt - backup.StartedAt)),
            ("Size", Size(backup.SizeBytes) + (manifest is null ? "" : $" (pg_dump archive {Size(manifest.RawSizeBytes)})")),
            ("SHA-256", backup.Sha256),
            ("Encrypted", manifest?.Encryption is { } e ? $"yes, OpenPGP ({string.Join(", ", e.Recipients)})" : manifest is null ? "unknown (no manifest)" : "no"),
            ("Artifact", key.Value),
        };
        var tables = manifest?.Tables.Select(t => (Name: $"{t.Schema}.{t.Name}", Rows: t.Rows.ToString("N0", CultureInfo.InvariantCulture))).ToList() ?? [];
        var stock = StockRestoreLine(key.Encoding, key.FileName, database);
        var backupctl = $"backupctl restore --store {content.StoreLocation} {key.Value} --target-database {database}";

        string attachmentText, attachmentHtml;
        if (content.Attachment is not null)
        {
            attachmentText = $"The artifact is attached ({key.FileName}). Check it before restoring it:\n  sha256sum {key.FileName}     (must print {backup.Sha256})";
            attachmentHtml = $"<p>The artifact is attached (<code>{Html(key.FileName)}</code>). Check it before restoring it: <code>sha256sum {Html(key.FileName)}</code> must print <code>{Html(backup.Sha256)}</code>.</p>";
        }
        else
        {
            var fetch = content.DownloadUrl is { } url
                ? $"Download it from the API (role operator):\n  {url}"
                : $"Fetch it from the store ({content.StoreLocation}, key {key.Value}), or restore it straight from there with backupctl (below).";
            attachmentText = $"The artifact is not attached: {content.NotAttachedBecause}\n{fetch}\nIts SHA-256 must be {backup.Sha256}.";
            attachmentHtml = $"<p>The artifact is not attached: {Html(content.NotAttachedBecause ?? "")}</p>" +
                (content.DownloadUrl is { } link
                    ? $"<p>Download it from the API (role operator): <a href=\"{Html(link)}\">{Html(link)}</a></p>"
                    : $"<p>Fetch it from the store (<code>{Html(content.StoreLocation)}</code>, key <code>{Html(key.Value)}</code>), or restore it straight from there with backupctl (below).</p>") +
                $"<p>Its SHA-256 must be <code>{Html(backup.Sha256)}</code>.</p>";
        }

        var verification = DrillEmails.VerificationLines(content.Verification, backup.Source);
        var verificationText = verification.Count == 0 ? "" : string.Join("\n", verification) + "\n\n";
        var verificationHtml = string.Concat(verification.Select(line => $"<p>{Html(line)}</p>"));
        var tableText = tables.Count == 0
            ? "  (the manifest could not be read)"
            : string.Join("\n", tables.Select(t => $"  {t.Name,-40} {t.Rows,12} rows"));
        var body = new BodyBuilder
        {
            TextBody = $"""
                The backup of {backup.Source} completed.

                {string.Join("\n", facts.Select(f => $"{f.Name,-10} {f.Value}"))}

                {verificationText}Tables ({tables.Count}):
                {tableText}

                {attachmentText}

                Restore it into a new database with the stock tools (PGHOST, PGPORT, PGUSER and PGPASSFILE naming the target server):
                  createdb {database}
                  {stock}
                or with backupctl, which checks size, SHA-256 and row counts against the manifest:
                  {backupctl}
                backupctl is installed once, from the repository's root, into ~/.dotnet/tools (put that on PATH):
                  {InstallBackupctl}
                """,
            HtmlBody = $"""
                <p>The backup of <b>{Html(backup.Source)}</b> completed.</p>
                <table>{string.Concat(facts.Select(f => $"<tr><th align=left>{Html(f.Name)}</th><td><code>{Html(f.Value)}</code></td></tr>"))}</table>
                {verificationHtml}<p>Tables ({tables.Count}):</p>
                <table><tr><th align=left>table</th><th align=right>rows</th></tr>{string.Concat(tables.Select(t => $"<tr><td><code>{Html(t.Name)}</code></td><td align=right>{Html(t.Rows)}</td></tr>"))}</table>
                {attachmentHtml}
                <p>Restore it into a new database with the stock tools (<code>PGHOST</code>, <code>PGPORT</code>, <code>PGUSER</code> and <code>PGPASSFILE</code> naming the target server):</p>
                <pre>createdb {Html(database)}
                {Html(stock)}</pre>
                <p>or with backupctl, which checks size, SHA-256 and row counts against the manifest:</p>
                <pre>{Html(backupctl)}</pre>
                <p>backupctl is installed once, from the repository's root, into <code>~/.dotnet/tools</code> (put that on <code>PATH</code>):</p>
                <pre>{Html(InstallBackupctl)}</pre>
                """,
        };
        if (content.Attachment is { } artifact)
            body.Attachments.Add(new MimePart("application", "octet-stream")
            {
                Content = new MimeContent(artifact),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = key.FileName,
            });

        var subject = $"[Backup] {OneLine(backup.Source)}: backup completed ({Size(backup.SizeBytes)})" +
                      (content.Attachment is null ? ", not attached" : "");
        return Message(from, to, subject, body);
    }

    /// <summary>How backupctl is installed from the repository (a .NET tool, package id backupctl).</summary>
    public const string InstallBackupctl =
        "dotnet pack tools/Backup.Ctl -c Release -o /tmp/backupctl && dotnet tool install --global --add-source /tmp/backupctl backupctl";

    /// <summary>
    /// The new database the email's restore commands create: the source and the backup's completion time
    /// (<c>restored_demo_20261124_020312</c>), so restoring two backups, or one twice on different days, never collides
    /// with a database an earlier restore made. At most 63 characters, PostgreSQL's limit.
    /// </summary>
    public static string RestoreDatabaseName(string source, DateTimeOffset completedAt)
    {
        var time = completedAt.UtcDateTime.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
        var name = source.Length > 63 - 25 ? source[..(63 - 25)] : source;
        return $"restored_{name}_{time}";
    }

    public static MimeMessage FailureAlert(string from, IEnumerable<string> to, BackupFailed failure)
    {
        var source = OneLine(failure.Source);
        var body = new BodyBuilder
        {
            TextBody = $"""
                ALERT: the backup of {source} FAILED.

                Run       {failure.RunId}
                Failed at {Time(failure.FailedAt)}
                Error     {failure.ErrorCode}

                What happened:
                {failure.Reason}

                First thing to check:
                {FirstCheck(failure.ErrorCode, failure.Source)}
                """,
            HtmlBody = $"""
                <p><b>ALERT: the backup of {Html(source)} FAILED.</b></p>
                <p>Run <code>{failure.RunId}</code>, failed at {Time(failure.FailedAt)}, error <code>{Html(failure.ErrorCode)}</code>.</p>
                <p>What happened:</p><pre>{Html(failure.Reason)}</pre>
                <p>First thing to check: {Html(FirstCheck(failure.ErrorCode, failure.Source))}</p>
                """,
        };
        var message = Message(from, to, $"[Backup] ALERT {source}: backup failed ({OneLine(failure.ErrorCode)})", body);
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    /// <summary>A message whose outcome is unknown: may have been delivered, will not be sent again.</summary>
    public static MimeMessage OutcomeUnknown(string from, IEnumerable<string> to, string source, Guid runId, string kind, string error)
    {
        var text = OutcomeUnknownText(source, runId, kind, error);
        var message = Message(from, to, $"[Backup] WARNING {OneLine(source)}: delivery of the {OneLine(kind)} email uncertain",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    public static string OutcomeUnknownText(string source, Guid runId, string kind, string error) => $"""
        The {kind} email of run {runId} (source {source}) may or may not have reached you.
        The mail server's connection failed after the message was transmitted and before it confirmed it:
        {error}

        It is NOT sent again automatically, so that nobody gets it twice. If you did not receive it:
        - a backup email: the artifact is in the store (backupctl list --store <the store's folder> --source {source}) and the API
          (GET /api/v1/runs/{runId}/artifact);
        - a failure alert or a drill's alert or warning: the run's state, reason and verification are in the catalog
          (GET /api/v1/runs/{runId}).
        The delivery is recorded as 'unknown' in the catalog table notification_deliveries.
        """;

    public static MimeMessage Stale(string from, IEnumerable<string> to, string source, DateTimeOffset? lastSuccess,
        TimeSpan allowance, int alarm, TimeSpan repeat)
    {
        var text = StaleText(source, lastSuccess, allowance, alarm, repeat);
        var message = Message(from, to, $"[Backup] ALERT {OneLine(source)}: backups are stale" + (alarm > 1 ? $" (reminder {alarm - 1})" : ""),
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    public static string StaleText(string source, DateTimeOffset? lastSuccess, TimeSpan allowance, int alarm, TimeSpan repeat) => $"""
        ALERT: source {source} has had no successful backup for longer than {Duration(allowance)} (its schedule's interval plus grace).
        Last successful backup: {(lastSuccess is { } at ? Time(at) : "none on record")}.

        First thing to check: that the scheduler and a dumper are running (GET /health/ready of each) and that the
        source's runs are not failing (GET /api/v1/runs?source={source}; failed runs sent their own alerts).
        This alarm repeats every {Duration(repeat)} while the source stays stale (this is alarm {alarm}).
        """;

    public static MimeMessage Recovered(string from, IEnumerable<string> to, string source, DateTimeOffset? lastSuccess, DateTimeOffset staleSince)
    {
        var text = RecoveredText(source, lastSuccess, staleSince);
        return Message(from, to, $"[Backup] RECOVERED {OneLine(source)}: backups are current again",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
    }

    public static string RecoveredText(string source, DateTimeOffset? lastSuccess, DateTimeOffset staleSince) => $"""
        Source {source} has a successful backup again ({(lastSuccess is { } at ? Time(at) : "time unknown")}).
        It had been stale since {Time(staleSince)}.
        """;

    internal static MimeMessage Message(string from, IEnumerable<string> to, string subject, BodyBuilder body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.AddRange(to.Select(MailboxAddress.Parse));
        message.Subject = subject;
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>
    /// The README's stock-tools restore of an artifact of this encoding into an existing empty database: without the
    /// source's owners and grants (so onto a server that has none of its roles), in one transaction, and dropping the
    /// database again if it fails (so a failure leaves nothing behind, and the line still fails).
    /// </summary>
    public static string StockRestoreLine(ArtifactEncoding encoding, string fileName, string database)
    {
        var restore = $"pg_restore {StockRestoreOptions} --dbname={database}";
        var dropOnFailure = $"|| {{ dropdb {database}; false; }}";
        return encoding switch
        {
            ArtifactEncoding.Plain => $"{restore} {fileName} {dropOnFailure}",
            ArtifactEncoding.ZstdOpenPgp => $"gpg --decrypt {fileName} | zstd -dc | {restore} {dropOnFailure}",
            _ => $"zstd -dc {fileName} | {restore} {dropOnFailure}",
        };
    }

    /// <summary>pg_restore's options in the README's stock-tools restore.</summary>
    public const string StockRestoreOptions = "--no-owner --no-privileges --clean --if-exists --single-transaction";

    /// <summary>What to look at first for each BackupFailed.ErrorCode, naming the settings involved.</summary>
    public static string FirstCheck(string errorCode, string source) => errorCode switch
    {
        BackupErrorCodes.AuthenticationFailed => $"the source's username and password secret (Sources:{source}:Username, Sources:{source}:Password) against the database's roles.",
        BackupErrorCodes.ConnectionFailed => $"that the source database is up and reachable from the dumper (Sources:{source}:Host and Port).",
        BackupErrorCodes.UnknownSource => "the name in the request against the dumper's configured sources (Sources:<name>).",
        BackupErrorCodes.VersionMismatch => "the pg_dump version in the dumper's image (Dumper:PgBinDirectory) against the source server's version.",
        BackupErrorCodes.IncompleteSelection => $"the foreign keys the reason names: include the referenced tables (Sources:{source}:IncludeTables) or turn off Sources:{source}:Strict.",
        BackupErrorCodes.StorageFailed => "free space and permissions of the artifact store (Storage:Root), or the bucket and its keys (Storage:S3:*).",
        BackupErrorCodes.EncryptionFailed => "the recipients' public key files and their expiry (Encryption:RecipientKeyFiles), or Encryption:Passphrase.",
        BackupErrorCodes.TimedOut => $"whether a dumper is running and consuming: the catalog times out a run it hears nothing of within Catalog:RunTimeout (per source Catalog:RunTimeouts:{source}) while no dump of it heartbeats; if the reason says pg_dump itself ran too long, the size of the critical tables and Dumper:DumpTimeout.",
        BackupErrorCodes.DumpFailed => "the dumper's log for this run id, and pg_dump's own message in the reason.",
        _ => "the dumper's log for this run id.",
    };

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:0.0} s"
        : span.TotalHours < 2 ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalHours:0.#} h";

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.0} MiB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.00} GiB",
    };

    internal static string Html(string value) => WebUtility.HtmlEncode(value);

    /// <summary>Strips control characters from a value that came in a message before it goes into a subject line.</summary>
    internal static string OneLine(string value) => new(value.Where(c => !char.IsControl(c)).Take(100).ToArray());
}
