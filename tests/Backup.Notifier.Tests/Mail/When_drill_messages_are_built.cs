using System.Reflection;
using Backup.Database.Verification;
using Backup.Contracts;
using Backup.Notifier.Drills;
using Backup.Notifier.Mail;
using Backup.Storage;

namespace Backup.Notifier.Tests.Mail;

/// <summary>What the notifier says about restore drills: the failed drill's alert, the over-target warning, and the verification part of the backup email.</summary>
public sealed class When_drill_messages_are_built
{
    static readonly Guid RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    static readonly Guid EarlierRunId = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    static readonly DateTimeOffset At = new(2026, 12, 6, 2, 10, 0, TimeSpan.Zero);

    static BackupVerificationFailed Failure(string errorCode = VerificationErrorCodes.RowCountMismatch) => new()
    {
        RunId = RunId,
        Source = "demo",
        ArtifactKey = "demo/2026/12/06/020000-" + RunId + ".dump.zst",
        StartedAt = At,
        FailedAt = At.AddSeconds(95),
        ErrorCode = errorCode,
        Reason = "1 table restored a different number of rows than the dump counted.",
        Failures = ["billing.invoices: 1,234 rows in the dump's snapshot, 1,200 restored", "check invoices_paid: returned false"],
        Steps = [new DrillStep { Name = "fetch", Seconds = 1.5 }, new DrillStep { Name = "data", Seconds = 80 }],
        Tables = [],
        Checks = [new DrillCheck { Name = "invoices_paid", Passed = false, Detail = "returned false" }],
    };

    static BackupVerified Verified(double recoverySeconds, double targetSeconds) => new()
    {
        RunId = RunId,
        Source = "demo",
        ArtifactKey = "k",
        StartedAt = At,
        VerifiedAt = At.AddSeconds(recoverySeconds),
        RecoveryTimeSeconds = recoverySeconds,
        RtoTargetSeconds = targetSeconds,
        Steps = [new DrillStep { Name = "fetch", Seconds = 60 }, new DrillStep { Name = "indexes", Seconds = recoverySeconds - 60 }],
        Tables = [],
        Checks = [],
    };

    [Fact]
    public void A_failed_drill_alerts_urgently_naming_every_failed_proof_and_the_first_thing_to_check()
    {
        var message = DrillEmails.FailureAlert("backup@example.com", ["ops@example.com"], Failure());

        Assert.Equal("[Backup] ALERT demo: restore drill failed (RowCountMismatch)", message.Subject);
        Assert.Equal(MimeKit.MessagePriority.Urgent, message.Priority);
        Assert.Contains("billing.invoices: 1,234 rows in the dump's snapshot, 1,200 restored", message.TextBody);
        Assert.Contains("check invoices_paid: returned false", message.TextBody);
        Assert.Contains(Failure().Reason, message.TextBody);
        Assert.Contains("fetch 1.5 s, data 80.0 s", message.TextBody);
        Assert.Contains(DrillEmails.FirstCheck(VerificationErrorCodes.RowCountMismatch, "demo"), message.TextBody);
        Assert.Contains("backupctl", message.TextBody);
    }

    [Fact]
    public void A_hostile_drill_failure_stays_one_subject_line_and_escaped_html()
    {
        var failure = Failure() with { Source = "demo\r\nBcc: attacker@example.com", ErrorCode = "X\nX-Injected: yes", Failures = ["<script>alert(1)</script>"] };
        var message = DrillEmails.FailureAlert("backup@example.com", ["ops@example.com"], failure);

        Assert.DoesNotContain('\n', message.Subject!);
        Assert.Empty(message.Bcc);
        Assert.Null(message.Headers["X-Injected"]);
        Assert.DoesNotContain("<script>", message.HtmlBody);
        Assert.Contains("&lt;script&gt;", message.HtmlBody);
    }

    static readonly string[] ErrorCodes =
        [.. typeof(VerificationErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!)];

    [Fact]
    public void Every_verification_error_code_has_its_own_first_thing_to_check()
    {
        Assert.Equal(10, ErrorCodes.Length);
        var hints = ErrorCodes.Select(code => DrillEmails.FirstCheck(code, "warehouse")).ToList();
        Assert.DoesNotContain(DrillEmails.FirstCheck("SomethingNew", "warehouse"), hints);
        Assert.Equal(hints.Count, hints.Distinct().Count());
        Assert.Contains("Drills:Sources:warehouse:Checks:", DrillEmails.FirstCheck(VerificationErrorCodes.CheckFailed, "warehouse"));
    }

    [Fact]
    public void A_drill_over_its_target_warns_with_both_times_and_the_slowest_step()
    {
        Assert.False(DrillEmails.OverTarget(Verified(1800, 1800)));
        Assert.True(DrillEmails.OverTarget(Verified(1920, 1800)));
        var message = DrillEmails.OverTargetWarning("backup@example.com", ["ops@example.com"], Verified(1920, 1800));

        Assert.Equal("[Backup] WARNING demo: measured recovery time over the target (32 min > 30 min)", message.Subject);
        Assert.Contains("Recovery  32 min measured, target 30 min (Drills:Sources:demo:RtoTarget, or Drills:RtoTarget)", message.TextBody);
        Assert.Contains("slowest step (indexes, 31 min)", message.TextBody);
    }

    static readonly VerifiedBackup Earlier = new(EarlierRunId, At.AddDays(-1), At.AddDays(-1).AddMinutes(5), 252, 1800);

    [Fact]
    public void Pending_says_a_drill_will_prove_it_and_names_the_last_verified_backup_and_its_RTO()
    {
        var lines = DrillEmails.VerificationLines(new BackupVerificationStatus(TimeSpan.Zero, null, Earlier), "demo");

        Assert.Equal(
        [
            "Verification: pending — a restore drill will restore this backup into a scratch database; you are alerted if it fails.",
            $"Last verified backup: 2026-12-05 02:10:00 UTC (run {EarlierRunId}), verified 2026-12-05 02:15:00 UTC, measured recovery time 4 min (target 30 min).",
        ], lines);
    }

    [Fact]
    public void Pending_for_a_source_drilled_once_a_day_says_it_may_be_skipped_and_that_none_is_verified_yet()
    {
        var lines = DrillEmails.VerificationLines(new BackupVerificationStatus(TimeSpan.FromDays(1), null, null), "demo");

        Assert.EndsWith("(Drills of demo run at most every 24 h: this backup may be skipped.)", lines[0]);
        Assert.Equal("Last verified backup: none on record.", lines[1]);
    }

    [Fact]
    public void Decided_it_says_passed_with_the_measured_RTO_or_failed_with_the_reason()
    {
        var passed = new BackupVerification
        {
            RunId = RunId, Source = "demo", ArtifactKey = "k", State = VerificationStates.Passed,
            FinishedAt = At, RecoverySeconds = 2400, RtoTargetSeconds = 1800,
        };
        Assert.Equal(
            ["Verification: passed 2026-12-06 02:10:00 UTC: restored into a scratch database and proven; measured recovery time 40 min (target 30 min, OVER the target)."],
            DrillEmails.VerificationLines(new BackupVerificationStatus(TimeSpan.Zero, passed, Earlier), "demo"));

        var failed = new BackupVerification
        {
            RunId = RunId, Source = "demo", ArtifactKey = "k", State = VerificationStates.Failed,
            FinishedAt = At, ErrorCode = VerificationErrorCodes.CheckFailed, Reason = "check invoices_paid returned false",
        };
        var lines = DrillEmails.VerificationLines(new BackupVerificationStatus(TimeSpan.Zero, failed, Earlier), "demo");
        Assert.StartsWith("Verification: FAILED 2026-12-06 02:10:00 UTC (CheckFailed)", lines[0]);
        Assert.EndsWith("check invoices_paid returned false", lines[0]);
        Assert.StartsWith("Last verified backup: 2026-12-05 02:10:00 UTC", lines[1]);
    }

    [Fact]
    public void Without_drills_it_says_so_in_one_line()
    {
        Assert.Equal(["Verification: none (backups of demo are not restore-drilled)."],
            DrillEmails.VerificationLines(new BackupVerificationStatus(null, null, null), "demo"));
    }

    [Fact]
    public void The_backup_email_carries_the_verification_part_in_both_bodies()
    {
        var key = ArtifactKey.Create("demo", RunId, At);
        var backup = new BackupCompleted
        {
            RunId = RunId, Source = "demo", StartedAt = At.AddMinutes(-2), CompletedAt = At,
            ArtifactKey = key.Value, SizeBytes = 5_000, Sha256 = new string('a', 64), Format = "pg_dump-custom+zstd",
        };
        var message = BackupEmails.Completed("backup@example.com", ["ops@example.com"], new BackupMailContent(backup, key, null,
            "/var/lib/backup/artifacts", null, null, "it is too big.", new BackupVerificationStatus(TimeSpan.Zero, null, Earlier)));

        foreach (var body in new[] { message.TextBody, message.HtmlBody })
        {
            Assert.Contains("Verification: pending — a restore drill will restore this backup into a scratch database; you are alerted if it fails.", body);
            Assert.Contains("measured recovery time 4 min (target 30 min)", body);
        }
    }
}
