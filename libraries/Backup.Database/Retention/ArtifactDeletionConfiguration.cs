using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Retention;

/// <summary>artifact_deletions: one row per run whose artifact retention deletes, pending until deleted_at is set.</summary>
sealed class ArtifactDeletionConfiguration : IEntityTypeConfiguration<ArtifactDeletion>
{
    public void Configure(EntityTypeBuilder<ArtifactDeletion> deletion)
    {
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
    }
}
