using System.Net;
using Backup.Contracts;
using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>The messages the notifier sends, built with MimeKit (headers are never assembled from strings by hand).</summary>
public static class BackupEmails
{
    public static MimeMessage Completed(string from, IEnumerable<string> administrators, BackupCompleted backup,
        string fileName, Stream artifact)
    {
        var duration = backup.CompletedAt - backup.StartedAt;
        var restore = RestoreCommand(backup.Format, fileName, $"restored_{backup.Source}");
        var facts = new (string Name, string Value)[]
        {
            ("Source", backup.Source),
            ("Run", backup.RunId.ToString()),
            ("Completed", backup.CompletedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'")),
            ("Duration", $"{duration.TotalSeconds:0.0} s"),
            ("Size", Size(backup.SizeBytes)),
            ("SHA-256", backup.Sha256),
            ("File", fileName),
        };

        var body = new BodyBuilder
        {
            TextBody = $"""
                The backup of {backup.Source} completed.

                {string.Join("\n", facts.Select(f => $"{f.Name,-10} {f.Value}"))}

                Check the attachment before restoring it:
                  sha256sum {fileName}     (must print {backup.Sha256})
                Restore it into a new database with the stock PostgreSQL tools:
                  {restore}
                """,
            HtmlBody = $"""
                <p>The backup of <b>{Html(backup.Source)}</b> completed.</p>
                <table>{string.Concat(facts.Select(f => $"<tr><th align=left>{Html(f.Name)}</th><td><code>{Html(f.Value)}</code></td></tr>"))}</table>
                <p>Check the attachment before restoring it: <code>sha256sum {Html(fileName)}</code> must print <code>{Html(backup.Sha256)}</code>.</p>
                <p>Restore it into a new database with the stock PostgreSQL tools:</p>
                <pre>{Html(restore)}</pre>
                """,
        };
        body.Attachments.Add(new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(artifact),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = fileName,
        });

        return Message(from, administrators, $"[Backup] {backup.Source}: backup completed ({Size(backup.SizeBytes)})", body);
    }

    public static MimeMessage FailureAlert(string from, IEnumerable<string> administrators, BackupFailed failure)
    {
        var source = OneLine(failure.Source);
        var body = new BodyBuilder
        {
            TextBody = $"""
                ALERT: the backup of {source} FAILED.

                Run       {failure.RunId}
                Failed at {failure.FailedAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC
                Error     {failure.ErrorCode}

                What happened:
                {failure.Reason}

                First thing to check:
                {FirstCheck(failure.ErrorCode)}
                """,
            HtmlBody = $"""
                <p><b>ALERT: the backup of {Html(source)} FAILED.</b></p>
                <p>Run <code>{failure.RunId}</code>, failed at {failure.FailedAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC, error <code>{Html(failure.ErrorCode)}</code>.</p>
                <p>What happened:</p><pre>{Html(failure.Reason)}</pre>
                <p>First thing to check: {Html(FirstCheck(failure.ErrorCode))}</p>
                """,
        };
        var message = Message(from, administrators, $"[Backup] ALERT {source}: backup failed ({OneLine(failure.ErrorCode)})", body);
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    static MimeMessage Message(string from, IEnumerable<string> to, string subject, BodyBuilder body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.AddRange(to.Select(MailboxAddress.Parse));
        message.Subject = subject;
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>The stock-tools restore of an artifact of this format into a new database.</summary>
    public static string RestoreCommand(string format, string fileName, string database) => format switch
    {
        "pg_dump-custom" => $"createdb {database} && pg_restore --no-owner --clean --if-exists --dbname={database} {fileName}",
        "pg_dump-custom+zstd+openpgp" => $"createdb {database} && gpg --decrypt {fileName} | zstd -dc | pg_restore --no-owner --clean --if-exists --dbname={database}",
        _ => $"createdb {database} && zstd -dc {fileName} | pg_restore --no-owner --clean --if-exists --dbname={database}",
    };

    static string FirstCheck(string errorCode) => errorCode switch
    {
        "AuthenticationFailed" => "the source's username and password secret (Sources:<source>:Username, Sources:<source>:Password) against the database's roles.",
        "ConnectionFailed" => "that the source database is up and reachable from the dumper (Sources:<source>:Host and Port).",
        "UnknownSource" => "the name in the request against the dumper's configured sources (Sources:<name>).",
        "VersionMismatch" => "the pg_dump version in the dumper's image against the source server's version.",
        "StorageFailed" => "free space and permissions of the artifact store (Storage:Root).",
        "TimedOut" => "the size of the critical tables and Dumper:DumpTimeout.",
        _ => "the dumper's log for this run id.",
    };

    static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.0} MiB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.00} GiB",
    };

    static string Html(string value) => WebUtility.HtmlEncode(value);

    /// <summary>Strips control characters from a value that came in a message before it goes into a subject line.</summary>
    static string OneLine(string value) => new(value.Where(c => !char.IsControl(c)).Take(100).ToArray());
}
