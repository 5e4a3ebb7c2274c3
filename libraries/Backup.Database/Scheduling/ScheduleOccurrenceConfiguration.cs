using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Scheduling;

/// <summary>schedule_occurrences: one row per (source, occurrence) claimed by a scheduler, until its run is published.</summary>
sealed class ScheduleOccurrenceConfiguration : IEntityTypeConfiguration<ScheduleOccurrence>
{
    public void Configure(EntityTypeBuilder<ScheduleOccurrence> occurrence)
    {
        occurrence.ToTable("schedule_occurrences");
        occurrence.HasKey(o => new { o.Source, o.Occurrence });
        occurrence.Property(o => o.Source).HasMaxLength(63);
        occurrence.Property(o => o.ClaimedBy).HasMaxLength(200);
        occurrence.HasIndex(o => o.PublishedAt).HasFilter("published_at IS NULL");
    }
}
