using Backup.Restorer;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddRestorer();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
