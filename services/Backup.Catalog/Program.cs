using Backup.Catalog;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCatalog();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
