using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Backup.Database.DataChecks;

/// <summary>backup_run_tables: the row counts of each completed run's tables, one row per (run, schema, table).</summary>
sealed class BackupRunTableConfiguration : IEntityTypeConfiguration<BackupRunTable>
{
    public void Configure(EntityTypeBuilder<BackupRunTable> table)
    {
        table.ToTable("backup_run_tables");
        table.HasKey(t => new { t.RunId, t.SchemaName, t.TableName });
        table.Property(t => t.Source).HasMaxLength(63);
        table.Property(t => t.SchemaName).HasMaxLength(63);
        table.Property(t => t.TableName).HasMaxLength(63);
        table.HasIndex(t => new { t.Source, t.CompletedAt });
    }
}
