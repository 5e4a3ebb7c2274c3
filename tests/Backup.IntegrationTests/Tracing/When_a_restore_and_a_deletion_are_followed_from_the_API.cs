using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Tracing;

/// <summary>
/// A platform caller, in its own trace (a W3C traceparent header), asks the API (its own process, as the dumper,
/// catalog and restorer are) to restore a backup, then to delete it. The restore is one trace: the API's request, the
/// restorer's consume, its job and backup.restore. The deletion too, through the catalog's outbox: the row keeps the
/// request's traceparent, and the catalog publishes BackupExpired in it, so the saga's consume of it is in the trace.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_restore_and_a_deletion_are_followed_from_the_API(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog", "Restore:Password"];

    readonly Guid runId = Guid.NewGuid();
    readonly List<ServiceProcess> processes = [];
    BackupSystem system = null!;
    OtlpReceiver otlp = null!;
    ApiHost tokens = null!;
    HttpClient api = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        otlp = await OtlpReceiver.StartAsync();
        // The API's settings and the key its tokens are signed with; the API itself runs as a process below.
        Dictionary<string, string?> apiSettings = [];
        tokens = new ApiHost(system, settings => apiSettings = settings);
        apiSettings["ASPNETCORE_ENVIRONMENT"] = "Testing";
        processes.AddRange(await Task.WhenAll(
            StartAsync("Backup.Api", apiSettings),
            StartAsync("Backup.Dumper", system.Configuration("Backup.Dumper")),
            StartAsync("Backup.Catalog", CatalogPollingTheOutboxOften()),
            StartAsync("Backup.Restorer", system.Configuration("Backup.Restorer"))));
        api = new HttpClient { BaseAddress = new Uri(processes[0].Url) };
        await using (var rabbit = await RawRabbit.ConnectAsync(system))
            await rabbit.RequestBackupAsync(runId, "demo");
        await system.WaitForStateAsync(runId, BackupRunStates.Completed);
    }

    // The API's rows reach the catalog's dispatcher at its poll (its own rows wake it at once).
    Dictionary<string, string?> CatalogPollingTheOutboxOften()
    {
        var settings = system.Configuration("Backup.Catalog");
        settings["Catalog:OutboxPollInterval"] = "00:00:00.500";
        return settings;
    }

    Task<ServiceProcess> StartAsync(string project, Dictionary<string, string?> settings)
    {
        otlp.Settings(settings);
        return ServiceProcess.StartAsync(project, settings, Secrets);
    }

    public async Task DisposeAsync()
    {
        api?.Dispose();
        foreach (var process in processes) await process.DisposeAsync();
        await tokens.DisposeAsync();
        await system.DisposeAsync();
        await otlp.DisposeAsync();
    }

    /// <summary>A request of the platform's, in a trace of its own: the trace id and the caller's span id.</summary>
    (HttpRequestMessage Request, string TraceId, string CallerSpanId) InATrace(HttpMethod method, string path, string role, object? body = null)
    {
        var (traceId, spanId) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Token($"{role}-1", [role]));
        request.Headers.Add("traceparent", $"00-{traceId}-{spanId}-01");
        return (request, traceId, spanId);
    }

    async Task<TraceTree> WholeTraceAsync(string traceId, string callerSpanId)
    {
        await Eventually.True(() => Task.FromResult(new TraceTree(otlp.Trace(traceId)).Orphans(callerSpanId).Count == 0),
            "every span of the trace to hang under the caller's span");
        return new TraceTree(otlp.Trace(traceId));
    }

    [Fact]
    public async Task The_restore_is_one_trace_and_the_deletion_continues_through_the_outbox()
    {
        var (restore, restoreTrace, restoreCaller) = InATrace(HttpMethod.Post, "/api/v1/restores", "backup.operator",
            new { runId, targetDatabase = system.NewDatabaseName() });
        var accepted = await api.SendAsync(restore);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var restoreId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("restoreId").GetGuid();

        var restored = await otlp.WaitForSpanAsync(s => s.TraceId == restoreTrace && s.Name == "backup.restore", "the restorer's backup.restore span");
        var request = await otlp.WaitForSpanAsync(s => s.TraceId == restoreTrace && s.Service == "Backup.Api" && s.ParentSpanId == restoreCaller,
            "the API's span of the request");
        var trace = await WholeTraceAsync(restoreTrace, restoreCaller);
        var shape = trace.Describe(restoreCaller);
        Assert.Equal("Backup.Restorer", restored.Service);
        Assert.Equal(restoreId.ToString(), restored["backup.restore_id"]);
        Assert.Equal("demo", restored["backup.source"]);
        Assert.Equal("completed", restored["backup.outcome"]);
        Assert.True(trace.IsBelow(restored, request), shape);
        Assert.Contains(trace.Ancestors(restored), s => s.Name == "job restore");
        Assert.Empty(trace.StartedBeforeTheirParent());

        var (delete, deleteTrace, deleteCaller) = InATrace(HttpMethod.Delete, $"/api/v1/runs/{runId}/artifact?force=true", "backup.admin");
        Assert.Equal(HttpStatusCode.NoContent, (await api.SendAsync(delete)).StatusCode);

        var published = await otlp.WaitForSpanAsync(s => s.TraceId == deleteTrace && s.Service == "Backup.Catalog" && s.Name == "outbox publish",
            "the catalog's publish of the outbox row in the request's trace");
        var expired = await otlp.WaitForSpanAsync(s => s.TraceId == deleteTrace && s.Service == "Backup.Catalog" && s["backup.message_type"] == "BackupExpired",
            "the catalog's consume of BackupExpired in the request's trace");
        await system.WaitForStateAsync(runId, BackupRunStates.Expired);
        trace = await WholeTraceAsync(deleteTrace, deleteCaller);
        shape = trace.Describe(deleteCaller);
        Assert.Equal("BackupExpired", published["backup.message_type"]?.Split('.').Last());
        Assert.True(trace.IsBelow(published, trace.Spans.Single(s => s.ParentSpanId == deleteCaller)), shape);
        Assert.True(trace.IsBelow(expired, published), shape);
        Assert.Equal(runId.ToString(), expired["backup.run_id"]);
        Assert.Empty(trace.StartedBeforeTheirParent());
    }
}
