using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Notifications;

/// <summary>notification_deliveries: one row per (run, recipient, kind), so each notification is sent at most once.</summary>
sealed class NotificationDeliveryConfiguration : IEntityTypeConfiguration<NotificationDelivery>
{
    public void Configure(EntityTypeBuilder<NotificationDelivery> delivery)
    {
        delivery.ToTable("notification_deliveries");
        delivery.HasKey(d => new { d.RunId, d.Recipient, d.Kind });
        delivery.Property(d => d.Recipient).HasMaxLength(320);
        delivery.Property(d => d.Kind).HasMaxLength(32);
        delivery.Property(d => d.Source).HasMaxLength(63);
        delivery.Property(d => d.State).HasMaxLength(16);
        delivery.Property(d => d.ClaimedBy).HasMaxLength(200);
        delivery.Property(d => d.LastError).HasMaxLength(2000);
        delivery.HasIndex(d => new { d.State, d.UpdatedAt });
    }
}
