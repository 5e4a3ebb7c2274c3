using Backup.Dumper;
using Backup.ServiceDefaults;

var builder = BackupHostDefaults.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDumper();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
