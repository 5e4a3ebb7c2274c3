using System.Diagnostics;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Tracing;

/// <summary>
/// A platform service requests a backup in its own trace (a raw JSON BackupRequested with its W3C traceparent in
/// MT-Activity-Id). The dumper, catalog, notifier, retention and restorer run as their own processes and export over
/// OTLP/HTTP to a receiver in this test: the whole run is that one trace, one tree under the platform's span, each span
/// starting after its parent — the dumper's consume, its job and backup.dump (run id, source, sizes, outcome), the
/// catalog's consumes, the notifier's emails, retention's sweep and the restorer's drill — and the log records of the
/// run carry its trace and span ids (and no secret). A backup that fails is an Error span with its reason as an
/// exception event, and the alerts about it are in the same trace.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_backup_is_followed_across_the_services(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets =
        ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog", "Restore:Password", "Drills:Password"];

    readonly Guid runId = Guid.NewGuid();
    readonly string traceId = ActivityTraceId.CreateRandom().ToHexString();
    readonly string platformSpanId = ActivitySpanId.CreateRandom().ToHexString();
    readonly List<ServiceProcess> processes = [];
    BackupSystem system = null!;
    OtlpReceiver otlp = null!;
    HttpSink http = null!;

    string TraceParent => $"00-{traceId}-{platformSpanId}-01";

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        otlp = await OtlpReceiver.StartAsync();
        http = new HttpSink();
    }

    public async Task DisposeAsync()
    {
        foreach (var process in processes) await process.DisposeAsync();
        await system.DisposeAsync();
        await otlp.DisposeAsync();
        await http.DisposeAsync();
    }

    /// <summary>Starts the services as processes at once, each exporting to the receiver, and waits until all are ready.</summary>
    async Task StartAsync(params (string Project, Action<Dictionary<string, string?>>? Configure)[] services)
    {
        var started = await Task.WhenAll(services.Select(service =>
        {
            var settings = system.Configuration(service.Project);
            otlp.Settings(settings);
            service.Configure?.Invoke(settings);
            return ServiceProcess.StartAsync(service.Project, settings, Secrets);
        }));
        processes.AddRange(started);
    }

    async Task RequestBackupInThePlatformsTraceAsync()
    {
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.RequestBackupAsync(runId, "demo", traceParent: TraceParent);
    }

    Task<ReceivedSpan> SpanAsync(string service, Func<ReceivedSpan, bool> matches, string what) =>
        otlp.WaitForSpanAsync(s => s.TraceId == traceId && s.Service == service && matches(s), $"{what} in the platform's trace");

    /// <summary>Waits until every span of the trace hangs under the platform's span (the exporters send in batches), and returns the tree.</summary>
    async Task<TraceTree> WholeTraceAsync()
    {
        await Eventually.True(() => Task.FromResult(new TraceTree(otlp.Trace(traceId)).Orphans(platformSpanId).Count == 0),
            "every span of the trace to hang under the platform's span");
        return new TraceTree(otlp.Trace(traceId));
    }

    [Fact]
    public async Task The_run_is_one_trace_from_the_request_to_the_drill_and_its_logs_carry_it()
    {
        await StartAsync(
            ("Backup.Dumper", null),
            ("Backup.Catalog", null),
            ("Backup.Notifier", null),
            ("Backup.Retention", null),
            ("Backup.Restorer", settings => settings.DrillOnto(infrastructure.BarePostgres)));

        await RequestBackupInThePlatformsTraceAsync();

        var run = await system.WaitForStateAsync(runId, BackupRunStates.Delivered);
        var dump = await SpanAsync("Backup.Dumper", s => s.Name == "backup.dump", "the dumper's backup.dump span");
        var email = await SpanAsync("Backup.Notifier", s => s.Name == "send backup email", "the notifier's backup email span");
        var drill = await SpanAsync("Backup.Restorer", s => s.Name == "backup.drill", "the restorer's drill span");
        var sweep = await SpanAsync("Backup.Retention", s => s["backup.message_type"] == "BackupCompleted", "retention's consume of BackupCompleted");
        var delivered = await SpanAsync("Backup.Catalog",
            s => s["backup.run_id"] == runId.ToString() && s["backup.message_type"] == "BackupDelivered",
            "the catalog's consume of BackupDelivered");
        var verified = await SpanAsync("Backup.Catalog",
            s => s["backup.run_id"] == runId.ToString() && s["backup.message_type"] == "BackupVerified",
            "the catalog's consume of BackupVerified");
        var trace = await WholeTraceAsync();
        var shape = trace.Describe(platformSpanId);

        // The dump: under the dumper's consume of the platform's request and its job, with what it made.
        var ancestors = trace.Ancestors(dump).ToList();
        Assert.True(ancestors.Any(a => a.Name == "job dump" && a.Service == "Backup.Dumper"), shape);
        Assert.Equal(platformSpanId, ancestors.Last().ParentSpanId);
        Assert.Equal("Backup.Dumper", ancestors.Last().Service);
        Assert.Equal(runId.ToString(), dump["backup.run_id"]);
        Assert.Equal("demo", dump["backup.source"]);
        Assert.Equal("completed", dump["backup.outcome"]);
        Assert.Equal(run.SizeBytes?.ToString(), dump["backup.stored_size"]);
        Assert.Equal(run.RawSizeBytes?.ToString(), dump["backup.raw_size"]);

        // Everything the run caused comes after the dump, in causal order: the email before the catalog hears it was
        // delivered, the drill before the catalog records its verification.
        Assert.True(trace.IsBelow(email, dump), shape);
        Assert.True(trace.IsBelow(delivered, email), shape);
        Assert.True(trace.IsBelow(drill, dump), shape);
        Assert.True(trace.IsBelow(verified, drill), shape);
        Assert.True(trace.IsBelow(sweep, dump), shape);
        Assert.Contains(trace.Spans, s => s.Name == "send email" && s.Service == "Backup.Notifier" && trace.IsBelow(s, email));
        Assert.Empty(trace.StartedBeforeTheirParent());
        Assert.Equal(
            ["Backup.Catalog", "Backup.Dumper", "Backup.Notifier", "Backup.Restorer", "Backup.Retention"],
            trace.Spans.Select(s => s.Service).Distinct().Order());

        // The log records of the run carry its trace and the span they were written in.
        var spanIds = trace.Spans.Select(s => s.SpanId).ToHashSet();
        foreach (var service in new[] { "Backup.Dumper", "Backup.Notifier", "Backup.Restorer" })
        {
            var logs = await Eventually.Get(() =>
            {
                var found = otlp.Logs.Where(l => l.Service == service && l.Attributes.GetValueOrDefault("RunId") == runId.ToString()).ToList();
                return Task.FromResult(found.Count > 0 ? found : null);
            }, $"{service}'s log records of the run");
            Assert.All(logs, log =>
            {
                Assert.Equal(traceId, log.TraceId);
                Assert.Contains(log.SpanId, spanIds);
                Assert.Contains(runId.ToString(), log.Body); // the formatted message, not its template
            });
        }
        AssertNoSecretExported();
    }

    [Fact]
    public async Task A_failed_backup_is_an_error_span_with_its_reason_and_its_alerts_are_in_its_trace()
    {
        await StartAsync(
            ("Backup.Dumper", settings => settings["Sources:demo:Password"] = "not-the-password"),
            ("Backup.Catalog", null),
            ("Backup.Notifier", settings => settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/ops"));

        await RequestBackupInThePlatformsTraceAsync();

        await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        var dump = await SpanAsync("Backup.Dumper", s => s.Name == "backup.dump", "the dumper's backup.dump span");
        var alert = await SpanAsync("Backup.Notifier", s => s.Name == "send failure alert", "the notifier's failure alert span");
        var webhook = await SpanAsync("Backup.Notifier", s => s.Name == "post webhook", "the notifier's webhook span");
        await SpanAsync("Backup.Catalog", s => s["backup.message_type"] == "BackupFailed", "the catalog's consume of BackupFailed");
        var trace = await WholeTraceAsync();
        var shape = trace.Describe(platformSpanId);

        Assert.Equal(ReceivedSpan.Error, dump.StatusCode);
        Assert.StartsWith("AuthenticationFailed: ", dump.StatusMessage);
        Assert.Equal("failed", dump["backup.outcome"]);
        Assert.Equal("AuthenticationFailed", dump["backup.error_code"]);
        var exception = Assert.Single(dump.Events, e => e.Name == "exception");
        Assert.Equal("AuthenticationFailed", exception.Attributes["exception.type"]);
        Assert.Contains("password authentication failed", exception.Attributes["exception.message"]);

        Assert.True(trace.IsBelow(alert, dump), shape);
        Assert.True(trace.IsBelow(webhook, dump), shape);
        Assert.Equal("ops", webhook["backup.webhook"]);
        Assert.Equal("sent", webhook["backup.outcome"]);
        Assert.Empty(trace.StartedBeforeTheirParent());
        AssertNoSecretExported("not-the-password");
    }

    /// <summary>No password the services were given is in any span attribute, event or log record they exported.</summary>
    void AssertNoSecretExported(params string[] more)
    {
        string[] secrets = [system.SourcePassword, ServiceBrokerUsers.Password, system.Postgres.Password, infrastructure.BarePostgres.Password, .. more];
        var texts = otlp.Logs.SelectMany(l => l.Texts())
            .Concat(otlp.Spans.SelectMany(s => s.Attributes.Values.Append(s.StatusMessage)
                .Concat(s.Events.SelectMany(e => e.Attributes.Values))))
            .ToList();
        Assert.NotEmpty(otlp.Logs);
        foreach (var secret in secrets)
            Assert.DoesNotContain(texts, text => text.Contains(secret, StringComparison.Ordinal));
    }
}
