using Backup.Dumper;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddDumper();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
