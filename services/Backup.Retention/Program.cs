using Backup.Retention;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRetention();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
