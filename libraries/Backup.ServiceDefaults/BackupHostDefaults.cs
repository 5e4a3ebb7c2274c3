using Microsoft.AspNetCore.Builder;
using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Backup.ServiceDefaults.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Backup.ServiceDefaults;

/// <summary>What every Backup service shares: secrets from files, OpenTelemetry, health checks, the clock.</summary>
public static class BackupHostDefaults
{
    /// <summary>Health checks tagged with this make up /health/ready.</summary>
    public const string ReadyTag = "ready";

    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>The folder of key-per-file secrets (file name = configuration key, "__" between sections).</summary>
    public const string SecretsDirectoryVariable = "BACKUP_SECRETS_DIR";

    /// <summary>
    /// The host configuration switch that, by default, has the host watch its configuration files for changes.
    /// </summary>
    public const string ReloadConfigOnChangeKey = "hostBuilder:reloadConfigOnChange";

    /// <summary>
    /// Every service's builder: the slim web builder, without watching configuration files. The services read their
    /// settings once, from the environment and the secrets folder, and have no appsettings file; but the default host
    /// still watched for one to appear in its content root (the working directory), with every folder below it. With
    /// the working directory at the repository (deploy/local/stack.sh), that was 1,354 inotify watches per service. In
    /// the benchmark, the working directory held PostgreSQL's data, and each write the server made woke the service's
    /// file-watcher thread. An operator can still turn watching on with the argument <c>--hostBuilder:reloadConfigOnChange=true</c>
    /// (the later argument wins; the command line is read after the environment, so a variable cannot).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateSlimBuilder([$"--{ReloadConfigOnChangeKey}=false", .. args]);

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        var secrets = builder.Configuration[SecretsDirectoryVariable] ?? "/run/secrets";
        if (Directory.Exists(secrets))
            builder.Configuration.AddKeyPerFile(secrets, optional: true, reloadOnChange: false);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.AddReadinessMetrics();
        builder.AddOpenTelemetryDefaults();
        return builder;
    }

    /// <summary>
    /// /health/live answers while the process runs; /health/ready is 200 only while the service can do its job now
    /// (the broker connected, every consumer endpoint running, the databases it needs answering): Healthy, or Degraded
    /// for a state it still works in (the notifier's stale sources); otherwise 503 Unhealthy.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Anonymous explicitly: probes carry no token, also in a service whose authorization denies by default (the API).
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReportAsync,
        }).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The overall status on the first line (Healthy, Degraded, Unhealthy), then one line per check that is not
    /// healthy: its name, its status and why ("bus: Unhealthy: endpoint dump-database unhealthy: …").
    /// </summary>
    public static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        var body = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy))
            body.Append('\n').Append(name).Append(": ").Append(entry.Status).Append(": ")
                .Append(entry.Description ?? entry.Exception?.Message ?? "no reason given");
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(body.ToString());
    }

    // backup.service.ready: the readiness checks, run every Health:ReportInterval by the health check publisher.
    static void AddReadinessMetrics(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<HealthReportOptions>();
        builder.Services.AddSingleton<ReadinessMetrics>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(services => services.GetRequiredService<ReadinessMetrics>());
        builder.Services.AddOptions<HealthCheckPublisherOptions>().Configure<IOptions<HealthReportOptions>>((publisher, health) =>
        {
            publisher.Predicate = check => check.Tags.Contains(ReadyTag);
            publisher.Delay = TimeSpan.FromSeconds(1);
            publisher.Period = health.Value.ReportInterval;
        });
    }

    /// <summary>The overall status of a /health/ready body: its first line.</summary>
    public static string ReadyStatus(string body) => body.Split('\n', 2)[0];

    static void AddOpenTelemetryDefaults(this IHostApplicationBuilder builder)
    {
        var serviceName = builder.Environment.ApplicationName;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(serviceName)
                .AddSource("MassTransit")
                .AddSource("Backup.Jobs") // the claimed work of the dumper and the restorer
                .AddNpgsql()
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = http => !http.Request.Path.StartsWithSegments("/health")))
            .WithMetrics(metrics => metrics
                .AddMeter(serviceName)
                .AddMeter("MassTransit")
                .AddMeter("Npgsql")
                .AddAspNetCoreInstrumentation());

        // OTLP for traces, metrics and logs alike; the console logger stays as it is beside it. Each log record carries
        // the trace and span ids of the span it was written in, its scopes (RunId, RestoreId, JobKind, JobKey, …) and
        // its formatted message.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            otel.WithLogging(_ => { }, logs =>
                {
                    logs.IncludeScopes = true;
                    logs.IncludeFormattedMessage = true;
                })
                .UseOtlpExporter();
    }
}
