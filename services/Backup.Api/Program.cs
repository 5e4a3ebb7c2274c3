using Backup.Api;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBackupApi();
var app = builder.Build();
app.MapDefaultEndpoints();
app.MapBackupApi();
await app.RunAsync();
