using Backup.Scheduler;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddScheduler();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
