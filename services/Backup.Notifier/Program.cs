using Backup.Notifier;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddNotifier();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
