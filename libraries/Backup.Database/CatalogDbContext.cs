using Backup.Database.Audit;
using Backup.Database.Jobs;
using Backup.Database.Notifications;
using Backup.Database.Outbox;
using Backup.Database.Retention;
using Backup.Database.Scheduling;
using Backup.Database.Verification;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Backup.Database;

/// <summary>
/// The catalog: what runs exist and where each one stands (backup_runs), and the long work services have accepted and
/// are doing under a claim (jobs). Tables and columns are snake_case.
/// </summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public DbSet<BackupRun> BackupRuns => Set<BackupRun>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<BackupRunTransition> BackupRunTransitions => Set<BackupRunTransition>();
    public DbSet<Schedule> Schedules => Set<Schedule>();
    public DbSet<ScheduleOccurrence> ScheduleOccurrences => Set<ScheduleOccurrence>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<NotificationDelivery> NotificationDeliveries => Set<NotificationDelivery>();
    public DbSet<StaleAlarm> StaleAlarms => Set<StaleAlarm>();

    public DbSet<ArtifactDeletion> ArtifactDeletions => Set<ArtifactDeletion>();
    public DbSet<BackupVerification> BackupVerifications => Set<BackupVerification>();
    public DbSet<DrillPolicy> DrillPolicies => Set<DrillPolicy>();

    /// <summary>
    /// Times arrive with any offset (a scheduler publishes local occurrences, other services what they like);
    /// PostgreSQL's timestamptz takes UTC only, so every DateTimeOffset is stored as the same instant in UTC.
    /// </summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();
    }

    sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
        value => value.ToUniversalTime(), value => value);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var run = modelBuilder.Entity<BackupRun>();
        run.ToTable("backup_runs");
        run.HasKey(r => r.CorrelationId);
        run.Property(r => r.CorrelationId).ValueGeneratedNever();
        run.Property(r => r.CurrentState).HasMaxLength(32);
        run.Property(r => r.Source).HasMaxLength(63);
        run.Property(r => r.RequestedBy).HasMaxLength(200);
        run.Property(r => r.ArtifactKey).HasMaxLength(300);
        run.Property(r => r.Sha256).HasMaxLength(64).IsFixedLength();
        run.Property(r => r.FailureCode).HasMaxLength(64);
        run.Property(r => r.FailureReason).HasMaxLength(2000);
        run.Property(r => r.DeliveryError).HasMaxLength(2000);
        run.Property(r => r.ExpiryReason).HasMaxLength(500);
        run.Property(r => r.Version).IsRowVersion();
        run.HasIndex(r => new { r.Source, r.CompletedAt });
        run.HasIndex(r => new { r.CurrentState, r.CompletedAt });

        var job = modelBuilder.Entity<Job>();
        job.ToTable("jobs");
        job.HasKey(j => new { j.Kind, j.Key });
        job.Property(j => j.Kind).HasMaxLength(32);
        job.Property(j => j.Key).HasMaxLength(100);
        job.Property(j => j.Payload).HasColumnType("jsonb");
        job.Property(j => j.State).HasMaxLength(16);
        job.Property(j => j.ClaimedBy).HasMaxLength(200);
        job.Property(j => j.TraceParent).HasMaxLength(64);
        job.Property(j => j.LastError).HasMaxLength(2000);
        job.Property(j => j.Group).HasMaxLength(100);
        job.Property(j => j.Result).HasColumnType("jsonb");
        job.HasIndex(j => new { j.Kind, j.State, j.NotBefore });
        job.HasIndex(j => new { j.Kind, j.Group, j.State });

        run.HasIndex(r => r.TimeoutAt).HasFilter("timeout_at IS NOT NULL");

        var transition = modelBuilder.Entity<BackupRunTransition>();
        transition.ToTable("backup_run_transitions");
        transition.HasKey(t => t.Id);
        transition.Property(t => t.Id).UseIdentityAlwaysColumn();
        transition.Property(t => t.FromState).HasMaxLength(32);
        transition.Property(t => t.ToState).HasMaxLength(32);
        transition.Property(t => t.Event).HasMaxLength(64);
        transition.Property(t => t.Detail).HasMaxLength(500);
        transition.HasIndex(t => new { t.RunId, t.Id });

        var schedule = modelBuilder.Entity<Schedule>();
        schedule.ToTable("schedules");
        schedule.HasKey(s => s.Source);
        schedule.Property(s => s.Source).HasMaxLength(63);
        schedule.Property(s => s.Cron).HasMaxLength(100);
        schedule.Property(s => s.TimeZone).HasMaxLength(64);
        schedule.Property(s => s.Origin).HasMaxLength(16);
        schedule.Property(s => s.UpdatedBy).HasMaxLength(200);

        var occurrence = modelBuilder.Entity<ScheduleOccurrence>();
        occurrence.ToTable("schedule_occurrences");
        occurrence.HasKey(o => new { o.Source, o.Occurrence });
        occurrence.Property(o => o.Source).HasMaxLength(63);
        occurrence.Property(o => o.ClaimedBy).HasMaxLength(200);
        occurrence.HasIndex(o => o.PublishedAt).HasFilter("published_at IS NULL");

        var audit = modelBuilder.Entity<AuditEntry>();
        audit.ToTable("audit_log");
        audit.HasKey(a => a.Id);
        audit.Property(a => a.Id).UseIdentityAlwaysColumn();
        audit.Property(a => a.Actor).HasMaxLength(200);
        audit.Property(a => a.Action).HasMaxLength(64);
        audit.Property(a => a.Target).HasMaxLength(300);
        audit.Property(a => a.RemoteAddress).HasMaxLength(64);
        audit.Property(a => a.Detail).HasMaxLength(500);
        audit.HasIndex(a => a.At);

        var outbox = modelBuilder.Entity<OutboxMessage>();
        outbox.ToTable("outbox_messages");
        outbox.HasKey(m => m.Id);
        outbox.Property(m => m.Id).UseIdentityAlwaysColumn();
        outbox.Property(m => m.MessageType).HasMaxLength(200);
        outbox.Property(m => m.Payload).HasColumnType("jsonb");
        outbox.Property(m => m.LastError).HasMaxLength(2000);
        outbox.HasIndex(m => m.CreatedAt).HasFilter("sent_at IS NULL").HasDatabaseName("ix_outbox_messages_unsent");

        var delivery = modelBuilder.Entity<NotificationDelivery>();
        delivery.ToTable("notification_deliveries");
        delivery.HasKey(d => new { d.RunId, d.Recipient, d.Kind });
        delivery.Property(d => d.Recipient).HasMaxLength(320);
        delivery.Property(d => d.Kind).HasMaxLength(32);
        delivery.Property(d => d.Source).HasMaxLength(63);
        delivery.Property(d => d.State).HasMaxLength(16);
        delivery.Property(d => d.ClaimedBy).HasMaxLength(200);
        delivery.Property(d => d.LastError).HasMaxLength(2000);
        delivery.HasIndex(d => new { d.State, d.UpdatedAt });

        var stale = modelBuilder.Entity<StaleAlarm>();
        stale.ToTable("stale_alarms");
        stale.HasKey(a => new { a.Source, a.Kind });
        stale.Property(a => a.Source).HasMaxLength(63);
        stale.Property(a => a.Kind).HasMaxLength(16).HasDefaultValue(StaleAlarmKinds.Backup); // rows from before kinds existed

        var deletion = modelBuilder.Entity<ArtifactDeletion>();
        deletion.ToTable("artifact_deletions");
        deletion.HasKey(d => d.RunId);
        deletion.Property(d => d.RunId).ValueGeneratedNever();
        deletion.Property(d => d.Source).HasMaxLength(63);
        deletion.Property(d => d.ArtifactKey).HasMaxLength(300);
        deletion.Property(d => d.ReasonCode).HasMaxLength(16);
        deletion.Property(d => d.Reason).HasMaxLength(500);
        deletion.Property(d => d.RequestedBy).HasMaxLength(200);
        deletion.Property(d => d.LastError).HasMaxLength(2000);
        deletion.HasIndex(d => d.ArtifactKey);
        deletion.HasIndex(d => d.RequestedAt).HasFilter("deleted_at IS NULL").HasDatabaseName("ix_artifact_deletions_pending");

        var verification = modelBuilder.Entity<BackupVerification>();
        verification.ToTable("backup_verifications");
        verification.HasKey(v => v.RunId);
        verification.Property(v => v.RunId).ValueGeneratedNever();
        verification.Property(v => v.Source).HasMaxLength(63);
        verification.Property(v => v.ArtifactKey).HasMaxLength(300);
        verification.Property(v => v.State).HasMaxLength(16);
        verification.Property(v => v.ErrorCode).HasMaxLength(64);
        verification.Property(v => v.Reason).HasMaxLength(2000);
        verification.Property(v => v.Failures).HasColumnType("jsonb");
        verification.Property(v => v.Steps).HasColumnType("jsonb");
        verification.Property(v => v.Tables).HasColumnType("jsonb");
        verification.Property(v => v.Checks).HasColumnType("jsonb");
        verification.HasIndex(v => new { v.Source, v.State, v.FinishedAt });

        var drillPolicy = modelBuilder.Entity<DrillPolicy>();
        drillPolicy.ToTable("drill_policies");
        drillPolicy.HasKey(p => p.Source);
        drillPolicy.Property(p => p.Source).HasMaxLength(63);
    }
}
