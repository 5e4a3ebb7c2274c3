using Backup.Notifier;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNotifier();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
