using Backup.Retention;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddRetention();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
