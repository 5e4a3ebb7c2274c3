using Backup.Database;
using Microsoft.EntityFrameworkCore;

namespace Backup.Migrator;

public static class CatalogMigration
{
    /// <summary>Applies the catalog database's pending migrations and says which; throws (exit non-zero) when it cannot.</summary>
    public static async Task MigrateCatalogAsync(this IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var pending = (await catalog.Database.GetPendingMigrationsAsync()).ToList();
        await catalog.Database.MigrateAsync();
        Console.WriteLine(pending.Count == 0
            ? "Catalog database is up to date."
            : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}.");
    }
}
