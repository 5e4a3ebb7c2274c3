using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database;

/// <summary>backup_runs: the backup-run saga's rows, one per run id, under optimistic concurrency (xmin).</summary>
sealed class BackupRunConfiguration : IEntityTypeConfiguration<BackupRun>
{
    public void Configure(EntityTypeBuilder<BackupRun> run)
    {
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
        run.Property(r => r.DataWarnings).HasColumnType("jsonb");
        run.Property(r => r.Version).IsRowVersion();
        run.HasIndex(r => new { r.Source, r.CompletedAt });
        run.HasIndex(r => new { r.Source, r.RequestedAt });
        run.HasIndex(r => new { r.CurrentState, r.CompletedAt });
        run.HasIndex(r => r.TimeoutAt).HasFilter("timeout_at IS NOT NULL");
    }
}
