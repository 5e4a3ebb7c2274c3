using Backup.Database;
using Backup.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

// One-shot step before the services start (compose: service_completed_successfully): applies the catalog's
// migrations and exits 0, or exits non-zero with the reason. Services never migrate at start.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddCatalogDatabase();
using var host = builder.Build();

await using var scope = host.Services.CreateAsyncScope();
var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
var pending = (await catalog.Database.GetPendingMigrationsAsync()).ToList();
await catalog.Database.MigrateAsync();
Console.WriteLine(pending.Count == 0
    ? "Catalog database is up to date."
    : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}.");
