using Backup.Database;
using Backup.Database.Verification;
using Microsoft.EntityFrameworkCore;

namespace Backup.Notifier.Drills;

/// <summary>A source's newest backup that passed its restore drill: when the backup was made, when it was proven, its measured RTO.</summary>
public sealed record VerifiedBackup(Guid RunId, DateTimeOffset BackupAt, DateTimeOffset VerifiedAt, double? RecoverySeconds, double? RtoTargetSeconds);

/// <summary>
/// What the backup email says about a run's verification, read when the email is composed: the source's drill
/// policy (null: drills are off), the run's own verification row if the drill service has written one, and the
/// source's last verified backup.
/// </summary>
public sealed record BackupVerificationStatus(TimeSpan? DrillEvery, BackupVerification? Run, VerifiedBackup? LastVerified)
{
    public bool Decided => Run is { State: not VerificationStates.Pending };
}

/// <summary>
/// Reads what the catalog knows of restore drills (written by others: drill_policies by the drill service,
/// backup_verifications by the catalog's recorder); the notifier never writes them.
/// </summary>
public sealed class DrillFacts(IServiceScopeFactory scopes)
{
    public async Task<BackupVerificationStatus> OfBackupAsync(Guid runId, string source, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var every = await db.DrillPolicies.AsNoTracking().Where(p => p.Source == source)
            .Select(p => (TimeSpan?)p.Every).SingleOrDefaultAsync(cancellationToken);
        var run = await db.BackupVerifications.AsNoTracking().SingleOrDefaultAsync(v => v.RunId == runId, cancellationToken);
        var last = every is null && run is null ? null : await LastVerifiedAsync(db, source, cancellationToken);
        return new BackupVerificationStatus(every, run, last);
    }

    /// <summary>
    /// The source's newest verified backup: of its passed verifications, the one whose backup completed last (the
    /// run's completion in backup_runs; the drill's end when the run is not in the catalog).
    /// </summary>
    public static Task<VerifiedBackup?> LastVerifiedAsync(CatalogDbContext db, string source, CancellationToken cancellationToken) =>
        (from v in db.BackupVerifications.AsNoTracking()
         where v.Source == source && v.State == VerificationStates.Passed && v.FinishedAt != null
         join r in db.BackupRuns.AsNoTracking() on v.RunId equals r.CorrelationId into runs
         from r in runs.DefaultIfEmpty()
         let backupAt = r != null && r.CompletedAt != null ? r.CompletedAt.Value : v.FinishedAt!.Value
         orderby backupAt descending
         select new VerifiedBackup(v.RunId, backupAt, v.FinishedAt!.Value, v.RecoverySeconds, v.RtoTargetSeconds))
        .FirstOrDefaultAsync(cancellationToken);
}
