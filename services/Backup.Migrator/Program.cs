using Backup.Migrator;
using Backup.ServiceDefaults;

// One-shot step before the services start (compose: service_completed_successfully): applies the catalog's
// migrations, grants each service's catalog role exactly its tables (Migrator:ServiceRoles), and declares the broker's
// topology (every service's exchanges, queues and bindings), then exits 0, or exits non-zero with the reason. Services never migrate at start.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddMigrator();
using var host = builder.Build();
await host.RunMigratorAsync();
