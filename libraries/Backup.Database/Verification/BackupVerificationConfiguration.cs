using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Verification;

/// <summary>backup_verifications: the restore drill of a run, one row per run id.</summary>
sealed class BackupVerificationConfiguration : IEntityTypeConfiguration<BackupVerification>
{
    public void Configure(EntityTypeBuilder<BackupVerification> verification)
    {
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
    }
}
