using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Jobs;

/// <summary>jobs: long work under a claim, one row per (kind, key).</summary>
sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> job)
    {
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
    }
}
