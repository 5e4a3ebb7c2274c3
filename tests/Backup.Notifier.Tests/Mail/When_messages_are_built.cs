using Backup.Contracts;
using Backup.Notifier.Mail;
using Backup.Storage;

namespace Backup.Notifier.Tests.Mail;

/// <summary>Values from events never become headers or markup: MimeKit builds the headers, bodies are encoded.</summary>
public sealed class When_messages_are_built
{
    static readonly Guid RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    [Fact]
    public void A_failure_from_a_hostile_event_stays_one_subject_line_and_escaped_html()
    {
        var failure = new BackupFailed
        {
            RunId = RunId,
            Source = "demo\r\nBcc: attacker@example.com",
            FailedAt = DateTimeOffset.UnixEpoch,
            ErrorCode = "DumpFailed\nX-Injected: yes",
            Reason = "<script>alert(1)</script>",
        };
        var message = BackupEmails.FailureAlert("backup@example.com", ["ops@example.com"], failure);

        Assert.DoesNotContain('\n', message.Subject!);
        Assert.DoesNotContain('\r', message.Subject!);
        Assert.Empty(message.Bcc);
        Assert.Null(message.Headers["X-Injected"]);
        Assert.Equal(["ops@example.com"], message.To.Mailboxes.Select(m => m.Address));
        Assert.DoesNotContain("<script>", message.HtmlBody);
        Assert.Contains("&lt;script&gt;", message.HtmlBody);
    }

    [Fact]
    public void The_TimedOut_hint_names_the_catalogs_run_timeout_of_the_source_and_the_dump_timeout()
    {
        var hint = BackupEmails.FirstCheck("TimedOut", "warehouse");
        Assert.Contains("Catalog:RunTimeouts:warehouse", hint);
        Assert.Contains("Catalog:RunTimeout ", hint);
        Assert.Contains("Dumper:DumpTimeout", hint);
    }

    [Fact]
    public void A_backup_over_the_cap_carries_the_link_and_no_attachment()
    {
        var key = ArtifactKey.Create("demo", RunId, DateTimeOffset.UnixEpoch);
        var backup = new BackupCompleted
        {
            RunId = RunId, Source = "demo", StartedAt = DateTimeOffset.UnixEpoch, CompletedAt = DateTimeOffset.UnixEpoch.AddMinutes(2),
            ArtifactKey = key.Value, SizeBytes = 5_000_000, Sha256 = new string('a', 64), Format = "pg_dump-custom+zstd",
        };
        var message = BackupEmails.Completed("backup@example.com", ["ops@example.com"], new BackupMailContent(backup, key, null,
            "/var/lib/backup/artifacts", null, $"https://backup.example.com/api/v1/runs/{RunId}/artifact", "it is too big."));

        Assert.Empty(message.Attachments);
        Assert.EndsWith("not attached", message.Subject);
        Assert.Contains($"https://backup.example.com/api/v1/runs/{RunId}/artifact", message.TextBody);
        Assert.Contains("(the manifest could not be read)", message.TextBody);
        Assert.Contains($"backupctl restore --store /var/lib/backup/artifacts {key.Value} --target-database restored_demo_19700101_000200\n", message.TextBody);
        Assert.Contains("createdb restored_demo_19700101_000200\n", message.TextBody);
        Assert.Contains("dotnet tool install --global --add-source /tmp/backupctl backupctl", message.TextBody);
    }

    [Fact]
    public void The_stock_restore_line_follows_the_artifacts_encoding()
    {
        Assert.StartsWith("gpg --decrypt x | zstd -dc | pg_restore", BackupEmails.StockRestoreLine(ArtifactEncoding.ZstdOpenPgp, "x", "db"));
        Assert.StartsWith("zstd -dc x | pg_restore", BackupEmails.StockRestoreLine(ArtifactEncoding.Zstd, "x", "db"));
        Assert.Equal("pg_restore --no-owner --no-privileges --clean --if-exists --single-transaction --dbname=db x || { dropdb db; false; }",
            BackupEmails.StockRestoreLine(ArtifactEncoding.Plain, "x", "db"));
        Assert.Equal("zstd -dc x | pg_restore --no-owner --no-privileges --clean --if-exists --single-transaction --dbname=db || { dropdb db; false; }",
            BackupEmails.StockRestoreLine(ArtifactEncoding.Zstd, "x", "db"));
    }

    /// <summary>The email's lines are the README's (which the integration tests run), with the file and the database filled in.</summary>
    [Theory]
    [InlineData(ArtifactEncoding.Zstd, "zstd -dc \"$ARTIFACT\"")]
    [InlineData(ArtifactEncoding.ZstdOpenPgp, "gpg --decrypt \"$ARTIFACT\"")]
    public void The_stock_restore_line_is_the_READMEs(ArtifactEncoding encoding, string startingWith)
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(folder.FullName, "Backup.sln"))) folder = folder.Parent!;
        var readme = File.ReadAllLines(Path.Combine(folder.FullName, "README.md"))
            .Single(line => line.StartsWith(startingWith, StringComparison.Ordinal) && line.Contains("| pg_restore ", StringComparison.Ordinal));

        Assert.Equal(readme.Replace("\"$ARTIFACT\"", "x").Replace("\"$TARGET\"", "db"), BackupEmails.StockRestoreLine(encoding, "x", "db"));
    }
}
