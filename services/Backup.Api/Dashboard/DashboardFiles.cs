using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Backup.Api.Dashboard;

/// <summary>
/// The single-page app's files (wwwroot, copied beside the API's assembly in the build and the published folder):
/// /assets/* anonymous and cacheable (they hold no data), index.html for the client's routes, signed in, never cached.
/// </summary>
public sealed class DashboardFiles(string root)
{
    /// <summary>The client's routes (History API paths); each is answered with index.html.</summary>
    public static readonly string[] ClientRoutes = ["/", "/sources/{source}", "/runs", "/runs/{runId:guid}", "/restores/{restoreId:guid}"];

    public string Root { get; } = root;

    /// <summary>wwwroot of the content root when it holds index.html (dotnet run), else the one beside the assembly.</summary>
    public static DashboardFiles Find(IWebHostEnvironment environment)
    {
        var candidates = new[] { environment.WebRootPath, Path.Combine(environment.ContentRootPath, "wwwroot"), Path.Combine(AppContext.BaseDirectory, "wwwroot") };
        var root = candidates.FirstOrDefault(folder => !string.IsNullOrEmpty(folder) && File.Exists(Path.Combine(folder, "index.html")))
            ?? throw new InvalidOperationException($"The dashboard's index.html is in none of: {string.Join(", ", candidates.Where(c => !string.IsNullOrEmpty(c)))}.");
        return new DashboardFiles(root);
    }

    /// <summary>
    /// /assets/* from wwwroot/assets, in a branch before authentication: anonymous (an unknown one is 404, never a
    /// sign-in), cached for five minutes (no build step fingerprints the names).
    /// </summary>
    public IApplicationBuilder UseAssets(IApplicationBuilder app)
    {
        var assets = Path.Combine(Root, "assets");
        return app.MapWhen(http => http.Request.Path.StartsWithSegments("/assets"), branch =>
        {
            if (Directory.Exists(assets))
                branch.UseStaticFiles(new StaticFileOptions
                {
                    RequestPath = "/assets",
                    FileProvider = new PhysicalFileProvider(assets),
                    OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "public, max-age=300",
                });
            branch.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }

    /// <summary>index.html, never cached (a new release's shell is always fetched).</summary>
    public IResult Index(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return Results.File(Path.Combine(Root, "index.html"), "text/html; charset=utf-8");
    }
}
