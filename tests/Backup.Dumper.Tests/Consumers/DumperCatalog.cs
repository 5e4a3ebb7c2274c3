using Backup.Database;
using Backup.Testing;
using Microsoft.EntityFrameworkCore;

namespace Backup.Dumper.Tests.Consumers;

static class DumperCatalog
{
    /// <summary>Every row of the jobs table the dump consumer writes to, oldest first.</summary>
    public static Task<List<(string Kind, string Key, string? Group, string State, string Payload)>> JobsAsync(this TestCatalog catalog) =>
        catalog.QueryAsync("""SELECT kind, key, "group", state, payload::text FROM jobs ORDER BY created_at""",
            r => (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetString(4)));

    /// <summary>A backup_runs row in <paramref name="state"/>, as the catalog's saga would have written it.</summary>
    public static async Task RecordRunAsync(this TestCatalog catalog, Guid runId, string state)
    {
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDatabase.Configure(options, catalog.ConnectionString);
        await using var db = new CatalogDbContext(options.Options);
        db.BackupRuns.Add(new BackupRun
        {
            CorrelationId = runId, CurrentState = state, Source = "demo", UpdatedAt = DumperConsumerUnderTest.Now,
        });
        await db.SaveChangesAsync();
    }
}
