using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Scheduling;

/// <summary>schedules: one cron schedule per source.</summary>
sealed class ScheduleConfiguration : IEntityTypeConfiguration<Schedule>
{
    public void Configure(EntityTypeBuilder<Schedule> schedule)
    {
        schedule.ToTable("schedules");
        schedule.HasKey(s => s.Source);
        schedule.Property(s => s.Source).HasMaxLength(63);
        schedule.Property(s => s.Cron).HasMaxLength(100);
        schedule.Property(s => s.TimeZone).HasMaxLength(64);
        schedule.Property(s => s.Origin).HasMaxLength(16);
        schedule.Property(s => s.UpdatedBy).HasMaxLength(200);
    }
}
