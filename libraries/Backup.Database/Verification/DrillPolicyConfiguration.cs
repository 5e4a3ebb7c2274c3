using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.Verification;

/// <summary>drill_policies: one restore-drill policy per source.</summary>
sealed class DrillPolicyConfiguration : IEntityTypeConfiguration<DrillPolicy>
{
    public void Configure(EntityTypeBuilder<DrillPolicy> drillPolicy)
    {
        drillPolicy.ToTable("drill_policies");
        drillPolicy.HasKey(p => p.Source);
        drillPolicy.Property(p => p.Source).HasMaxLength(63);
    }
}
