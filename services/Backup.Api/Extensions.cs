using System.Text.Json.Serialization;
using Backup.Api.Auth;
using Backup.Api.Dashboard;
using Backup.Api.Endpoints;
using Backup.Api.Options;
using Backup.Database;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using Microsoft.OpenApi;

namespace Backup.Api;

public static class Extensions
{
    /// <summary>The API: token checks and roles, rate limits, the catalog database, the artifact store (read), the bus (publish only), OpenAPI 3.0.</summary>
    public static IHostApplicationBuilder AddBackupApi(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<AuthOptions>();
        builder.AddValidatedOptions<ApiOptions>();
        builder.AddValidatedOptions<DashboardOptions>();
        builder.AddValidatedOptions<Backup.Database.Retention.RetentionPolicyOptions>();
        builder.AddCatalogDatabase();
        builder.AddArtifactStore();
        builder.AddBackupBus(_ => { });
        builder.AddApiAuthentication();
        builder.Services.AddSessionAntiforgery();
        builder.AddApiRateLimits();
        builder.Services.AddProblemDetails();
        // A body or value that cannot be bound is 400 problem details naming the field, in every environment.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BadRequestProblems>();
        // The catalog database away: 503 with Retry-After, not a 500 (the request did nothing; repeat it).
        builder.Services.AddExceptionHandler<CatalogUnavailableProblems>();
        // A run row naming an artifact that isn't its own (RunArtifacts): 500 and an error log, nothing opened.
        builder.Services.AddExceptionHandler<ForeignArtifactKeyProblems>();
        // Numbers are numbers: no "42" accepted for an integer (and the OpenAPI document says integer, not a pattern).
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddScoped<AuditTrail>();
        builder.Services.AddScoped<UnconfirmedRequestLedger>();
        builder.Services.AddOpenApi("v1", openApi =>
        {
            openApi.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;
            openApi.AddDocumentTransformer<BearerSecurityTransformer>();
            openApi.AddOperationTransformer<ResponseHeadersTransformer>();
        });
        return builder;
    }

    /// <summary>
    /// Every endpoint under /api/v1, the served OpenAPI document at /openapi/v1.json (anonymous: it describes, it reveals
    /// nothing), and the dashboard: its assets (anonymous), its pages, session, sign-in and sign-out.
    /// </summary>
    public static WebApplication MapBackupApi(this WebApplication app)
    {
        var dashboard = DashboardFiles.Find(app.Environment);
        app.UseDashboardHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        dashboard.UseAssets(app);
        app.UseAuthentication();
        app.UseSessionAntiforgery();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi().AllowAnonymous();
        var api = app.MapGroup("/api/v1");
        api.MapRunEndpoints();
        api.MapBackupEndpoints();
        api.MapRestoreEndpoints();
        api.MapSourceEndpoints();
        api.MapOverviewEndpoints();
        api.MapSourceHistoryEndpoints();
        api.MapSchedulePreviewEndpoints();
        api.MapRetentionEndpoints();
        app.MapDashboard(dashboard);
        return app;
    }
}
