using Backup.Database;
using Microsoft.EntityFrameworkCore;

namespace Backup.Catalog.Tests.Data;

public class When_the_catalog_model_is_compared_with_the_committed_migrations
{
    [Fact]
    public void It_has_no_pending_changes()
    {
        using var db = new CatalogDesignTimeFactory().CreateDbContext([]);

        Assert.False(db.Database.HasPendingModelChanges(),
            "The EF model differs from the last migration's snapshot: add a migration (dotnet ef migrations add).");
    }

    [Fact]
    public void It_knows_the_committed_migrations()
    {
        using var db = new CatalogDesignTimeFactory().CreateDbContext([]);

        Assert.Contains(db.Database.GetMigrations(), migration => migration.EndsWith("_InitialSchema", StringComparison.Ordinal));
    }

    [Fact]
    public void It_maps_runs_to_the_snake_case_backup_runs_table()
    {
        using var db = new CatalogDesignTimeFactory().CreateDbContext([]);

        var run = db.Model.FindEntityType(typeof(BackupRun))!;
        Assert.Equal("backup_runs", run.GetTableName());
        Assert.Equal("correlation_id", run.FindPrimaryKey()!.Properties.Single().GetColumnName());
        Assert.Equal("current_state", run.FindProperty(nameof(BackupRun.CurrentState))!.GetColumnName());
    }
}
