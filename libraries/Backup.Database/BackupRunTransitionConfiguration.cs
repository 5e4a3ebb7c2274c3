using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database;

/// <summary>backup_run_transitions: every state change of a run, in order.</summary>
sealed class BackupRunTransitionConfiguration : IEntityTypeConfiguration<BackupRunTransition>
{
    public void Configure(EntityTypeBuilder<BackupRunTransition> transition)
    {
        transition.ToTable("backup_run_transitions");
        transition.HasKey(t => t.Id);
        transition.Property(t => t.Id).UseIdentityAlwaysColumn();
        transition.Property(t => t.FromState).HasMaxLength(32);
        transition.Property(t => t.ToState).HasMaxLength(32);
        transition.Property(t => t.Event).HasMaxLength(64);
        transition.Property(t => t.Detail).HasMaxLength(500);
        transition.HasIndex(t => new { t.RunId, t.Id });
    }
}
