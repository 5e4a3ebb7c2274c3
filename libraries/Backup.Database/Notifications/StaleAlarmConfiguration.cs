using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Notifications;

/// <summary>stale_alarms: one row per (source, kind) of alarm.</summary>
sealed class StaleAlarmConfiguration : IEntityTypeConfiguration<StaleAlarm>
{
    public void Configure(EntityTypeBuilder<StaleAlarm> stale)
    {
        stale.ToTable("stale_alarms");
        stale.HasKey(a => new { a.Source, a.Kind });
        stale.Property(a => a.Source).HasMaxLength(63);
        stale.Property(a => a.Kind).HasMaxLength(16);
    }
}
