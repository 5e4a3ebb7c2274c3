using Backup.Database.Verification;
using Backup.Contracts;
using Backup.Notifier.Drills;
using MimeKit;
using static Backup.Notifier.Mail.BackupEmails;

namespace Backup.Notifier.Mail;

/// <summary>
/// What the notifier says about restore drills: the urgent alert of a failed drill, the warning of a drill over its
/// recovery time objective, the "no verified backup" alarm and its recovery, and the verification part of the backup
/// email. Built like <see cref="BackupEmails"/>: MimeKit values, event values HTML-encoded and stripped in subjects.
/// </summary>
public static class DrillEmails
{
    public static MimeMessage FailureAlert(string from, IEnumerable<string> to, BackupVerificationFailed failure)
    {
        var text = FailureText(failure);
        var message = Message(from, to, $"[Backup] ALERT {OneLine(failure.Source)}: restore drill failed ({OneLine(failure.ErrorCode)})",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    public static string FailureText(BackupVerificationFailed failure) => $"""
        ALERT: the restore drill of a backup of {failure.Source} FAILED: this backup is not proven restorable.
        The backup itself stays Completed, but it does not count as a verified backup.

        Run       {failure.RunId}
        Artifact  {failure.ArtifactKey}
        Drill     started {Time(failure.StartedAt)}, failed {Time(failure.FailedAt)}
        Error     {failure.ErrorCode}

        What failed:
        {failure.Reason}

        Every failed proof:
        {(failure.Failures.Count == 0 ? "  (none listed)" : string.Join("\n", failure.Failures.Select(f => $"  - {f}")))}

        Steps the drill got through: {Steps(failure.Steps)}

        First thing to check:
        {FirstCheck(failure.ErrorCode, failure.Source)}

        The run and its verification: GET /api/v1/runs/{failure.RunId}.
        """;

    /// <summary>What to look at first for each <see cref="VerificationErrorCodes"/> value, naming the settings involved.</summary>
    public static string FirstCheck(string errorCode, string source) => errorCode switch
    {
        VerificationErrorCodes.ArtifactNotFound =>
            "whether the artifact was deleted before its drill (GET /api/v1/runs/<run id> shows a deletion), and that the restorer reads " +
            "the store the dumper writes (Storage:Root, or Storage:S3:Bucket and Prefix).",
        VerificationErrorCodes.IntegrityCheckFailed =>
            $"the artifact is damaged in the store: run backupctl verify on it and check the store's disk or bucket; take a new backup of {source} " +
            $"now (POST /api/v1/sources/{source}/backups).",
        VerificationErrorCodes.DecryptionFailed =>
            "the drill's key (Drills:SecretKeyFile and Drills:SecretKeyPassphrase; without them the restorer's Restore:SecretKeyFile or " +
            "Restore:Passphrase) against the recipients the dumper encrypts to (Encryption:RecipientKeyFiles): a key that can't open this backup " +
            "in a drill won't on the day of a disaster either.",
        VerificationErrorCodes.ConnectionFailed =>
            "that the drill server is up and reachable from the restorer, and its login (Drills:Host, Port, Username and the Drills:Password " +
            "secret; without Drills:Host, the restore server's Restore:Host, Port, Username and Password).",
        VerificationErrorCodes.RestoreFailed =>
            "the message above: an extension, collation or role the drill server lacks (a recovery server would lack it too: install it " +
            "there), a drill server older than the source's PostgreSQL, or, when it holds a database named like the source's, a server of " +
            "the drills' own (Drills:Host; Drills:AllowSourceServer to drill there anyway).",
        VerificationErrorCodes.RowCountMismatch =>
            "the tables named above: their restored rows differ from the rows the dump counted in its snapshot. Check the artifact with backupctl " +
            "verify, and whether its manifest (beside it in the store) was changed after the backup.",
        VerificationErrorCodes.ObjectMissing =>
            "the objects named above: an index, constraint, view or function whose restore failed on the drill server, usually for an extension " +
            "or collation it lacks; the restorer's log for this run id has pg_restore's messages.",
        VerificationErrorCodes.SequenceMismatch =>
            $"the sequences named above, restored at another value than dumped: the restorer's log for this run id, and whether they belong to the " +
            $"backed-up schemas and tables (Sources:{source}:IncludeSchemas, IncludeTables).",
        VerificationErrorCodes.CheckFailed =>
            $"the check named above (Drills:Sources:{source}:Checks:<name>) against the restored data: either the data was already wrong when it " +
            "was dumped, or the query needs fixing (it runs read-only, with Drills:CheckTimeout).",
        VerificationErrorCodes.Interrupted =>
            "the restorer's log and its host: its drill worker died repeatedly (the OOM killer, a full Restore:TempDirectory, a restarting container).",
        _ => "the restorer's log for this run id.",
    };

    public static bool OverTarget(BackupVerified verified) => verified.RecoveryTimeSeconds > verified.RtoTargetSeconds;

    public static MimeMessage OverTargetWarning(string from, IEnumerable<string> to, BackupVerified verified)
    {
        var text = OverTargetText(verified);
        return Message(from, to,
            $"[Backup] WARNING {OneLine(verified.Source)}: measured recovery time over the target ({Seconds(verified.RecoveryTimeSeconds)} > {Seconds(verified.RtoTargetSeconds)})",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
    }

    public static string OverTargetTitle(BackupVerified verified) =>
        $"Restore drill of {verified.Source}: measured recovery time {Seconds(verified.RecoveryTimeSeconds)}, over the target of {Seconds(verified.RtoTargetSeconds)}";

    public static string OverTargetText(BackupVerified verified)
    {
        var slowest = verified.Steps.MaxBy(s => s.Seconds);
        return $"""
            WARNING: the restore drill of a backup of {verified.Source} passed, but its measured recovery time was over the target.
            Restoring this backup on the day of a disaster would take about as long.

            Run       {verified.RunId}
            Recovery  {Seconds(verified.RecoveryTimeSeconds)} measured, target {Seconds(verified.RtoTargetSeconds)} (Drills:Sources:{verified.Source}:RtoTarget, or Drills:RtoTarget)
            Verified  {Time(verified.VerifiedAt)}
            Steps     {Steps(verified.Steps)}

            First thing to check: the slowest step{(slowest is null ? "" : $" ({slowest.Name}, {Seconds(slowest.Seconds)})")}. Data and indexes grow with
            the critical tables and depend on the drill server's cores and disks (Restore:Jobs sessions load the data); fetch and
            decode on the store's speed.
            If the target no longer fits the data, change it (Drills:Sources:{verified.Source}:RtoTarget).
            """;
    }

    public static MimeMessage Unverified(string from, IEnumerable<string> to, string source, VerifiedBackup? last, TimeSpan allowance, int alarm, TimeSpan repeat)
    {
        var text = UnverifiedText(source, last, allowance, alarm, repeat);
        var message = Message(from, to, $"[Backup] ALERT {OneLine(source)}: no verified backup" + (alarm > 1 ? $" (reminder {alarm - 1})" : ""),
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
        message.Priority = MessagePriority.Urgent;
        return message;
    }

    public static string UnverifiedText(string source, VerifiedBackup? last, TimeSpan allowance, int alarm, TimeSpan repeat) => $"""
        ALERT: source {source} has had no backup proven by a restore drill for longer than {Duration(allowance)} (its schedule's interval
        plus its drill interval plus grace).
        {LastVerifiedLine(last)}

        First thing to check: that the restorer is running and drilling (GET /health/ready), and the latest drills of {source}: failed drills
        sent their own alerts, skipped backups say why (GET /api/v1/runs?source={source}).
        This alarm repeats every {Duration(repeat)} while no backup is verified (this is alarm {alarm}).
        """;

    public static MimeMessage VerifiedAgain(string from, IEnumerable<string> to, string source, VerifiedBackup? last, DateTimeOffset since)
    {
        var text = VerifiedAgainText(source, last, since);
        return Message(from, to, $"[Backup] RECOVERED {OneLine(source)}: a recent backup is verified again",
            new BodyBuilder { TextBody = text, HtmlBody = $"<pre>{Html(text)}</pre>" });
    }

    public static string VerifiedAgainText(string source, VerifiedBackup? last, DateTimeOffset since) => $"""
        Source {source} has a recent verified backup again.
        {LastVerifiedLine(last)}
        It had been without one since {Time(since)}.
        """;

    /// <summary>
    /// The backup email's verification part: the run's verification when it is decided (with the measured RTO), else
    /// pending with the source's last verified backup; one line when the source is not drilled; nothing when unknown.
    /// </summary>
    public static IReadOnlyList<string> VerificationLines(BackupVerificationStatus? status, string source)
    {
        if (status is null) return [];
        var last = LastVerifiedLine(status.LastVerified);
        return status.Run switch
        {
            { State: VerificationStates.Passed } run =>
            [
                $"Verification: passed {TimeOrUnknown(run.FinishedAt)}: restored into a scratch database and proven; " +
                $"measured recovery time {Rto(run.RecoverySeconds, run.RtoTargetSeconds)}.",
            ],
            { State: VerificationStates.Failed } run =>
            [
                $"Verification: FAILED {TimeOrUnknown(run.FinishedAt)} ({run.ErrorCode}): this backup is not proven restorable; " +
                $"the drill's alert says what failed. {run.Reason}",
                last,
            ],
            { State: VerificationStates.Skipped } run => [$"Verification: skipped: {run.Reason}", last],
            _ when status.DrillEvery is { } every =>
            [
                "Verification: pending — a restore drill will restore this backup into a scratch database; you are alerted if it fails." +
                (every > TimeSpan.Zero ? $" (Drills of {source} run at most every {Duration(every)}: this backup may be skipped.)" : ""),
                last,
            ],
            _ => [$"Verification: none (backups of {source} are not restore-drilled)."],
        };
    }

    static string LastVerifiedLine(VerifiedBackup? last) => last is null
        ? "Last verified backup: none on record."
        : $"Last verified backup: {Time(last.BackupAt)} (run {last.RunId}), verified {Time(last.VerifiedAt)}, " +
          $"measured recovery time {Rto(last.RecoverySeconds, last.RtoTargetSeconds)}.";

    static string Rto(double? seconds, double? target) => seconds is not { } s ? "not recorded"
        : target is not { } t ? Seconds(s)
        : $"{Seconds(s)} (target {Seconds(t)}{(s > t ? ", OVER the target" : "")})";

    static string Steps(IReadOnlyList<DrillStep> steps) => steps.Count == 0 ? "none"
        : string.Join(", ", steps.Select(s => $"{s.Name} {Seconds(s.Seconds)}"));

    static string Seconds(double seconds) => Duration(TimeSpan.FromSeconds(seconds));

    static string TimeOrUnknown(DateTimeOffset? at) => at is { } t ? Time(t) : "(time unknown)";
}
