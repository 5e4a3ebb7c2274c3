using Backup.Scheduler;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddScheduler();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
