using Backup.Restorer;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRestorer();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
