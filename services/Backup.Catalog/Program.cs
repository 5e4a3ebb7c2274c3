using Backup.Catalog;
using Backup.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();
builder.AddCatalog();
var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
