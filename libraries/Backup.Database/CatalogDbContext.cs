using Backup.Database.Audit;
using Backup.Database.DataChecks;
using Backup.Database.Jobs;
using Backup.Database.Notifications;
using Backup.Database.Outbox;
using Backup.Database.Requests;
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
    public DbSet<UnconfirmedRequest> UnconfirmedRequests => Set<UnconfirmedRequest>();
    public DbSet<BackupRunTable> BackupRunTables => Set<BackupRunTable>();

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

    /// <summary>One <see cref="IEntityTypeConfiguration{TEntity}"/> per entity, next to the entity.</summary>
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CatalogDbContext).Assembly);
}
