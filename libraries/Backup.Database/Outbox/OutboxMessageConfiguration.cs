using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Outbox;

/// <summary>outbox_messages: messages written in a state change's transaction, published after it commits.</summary>
sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> outbox)
    {
        outbox.ToTable("outbox_messages");
        outbox.HasKey(m => m.Id);
        outbox.Property(m => m.Id).UseIdentityAlwaysColumn();
        outbox.Property(m => m.MessageType).HasMaxLength(200);
        outbox.Property(m => m.Payload).HasColumnType("jsonb");
        outbox.Property(m => m.LastError).HasMaxLength(2000);
        outbox.Property(m => m.TraceParent).HasMaxLength(64);
        outbox.HasIndex(m => m.CreatedAt).HasFilter("sent_at IS NULL").HasDatabaseName("ix_outbox_messages_unsent");
    }
}
