using System.Net.Http.Json;
using System.Text.Json;
using Backup.Contracts;
using Backup.Database;
using Backup.Database.Notifications;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Backup.Notifier;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// Real backups of the demo source (dumper, catalog, notifier, pg_dump) with Catalog:DataChecks:MinPreviousBackups 2:
/// after the source's first backups, billing.invoices is emptied (DELETE) or dropped (DROP TABLE) and the source backed
/// up again. The WARNING email names the table with its counts and the first thing to check, the JSON webhook gets a
/// backup.data_suspicious payload, once each (the delivery ledger); the run is Completed, not Failed, and the API's
/// run summary lists the finding. A source's first backups raise nothing, even with a table empty from the start.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_table_is_emptied_between_backups(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string WarningSubject = "[Backup] WARNING demo:";
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    HttpSink http = null!;
    readonly DataWarningsConsumed consumed = new();
    long invoices;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        http = new HttpSink();
        await system.StartCatalog(settings =>
        {
            settings["Catalog:DataChecks:MinPreviousBackups"] = "2";
            settings["Catalog:OutboxPollInterval"] = "00:00:00.200";
        });
        await system.StartDumper();
        await system.StartAsync("Backup.Notifier", b => b.AddNotifier(),
            settings => settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/ops-secret-token",
            services => services.AddConsumeObserver(_ => consumed));
        rabbit = await RawRabbit.ConnectAsync(system);
        invoices = await system.Postgres.ScalarAsync<long>(system.SourceDatabase, "SELECT count(*) FROM billing.invoices");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await http.DisposeAsync();
    }

    [Fact]
    public async Task The_warning_email_and_webhook_name_the_table_once_each_and_the_run_stays_Completed_with_the_finding_shown()
    {
        await BackUpAsync();
        await BackUpAsync();
        await system.Postgres.ExecuteAsync(system.SourceDatabase, "DELETE FROM billing.invoices");
        var run = await BackUpAsync();

        var mail = await system.Mail.WaitForAsync(m => m.Subject?.StartsWith(WarningSubject, StringComparison.Ordinal) == true, "the data warning");
        Assert.Equal($"{WarningSubject} table billing.invoices emptied ({invoices} → 0 rows)", mail.Subject);
        Assert.Equal(BackupSystem.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains(run.ToString(), mail.TextBody);
        Assert.Contains($"  - billing.invoices emptied ({invoices} → 0 rows)", mail.TextBody);
        Assert.Contains("was this table emptied on purpose?", mail.TextBody);

        var hook = JsonDocument.Parse((await http.WaitForAsync(r => r.Body.Contains("backup.data_suspicious"), "the webhook")).Body).RootElement;
        Assert.Equal((run, "demo"), (hook.GetProperty("runId").GetGuid(), hook.GetProperty("source").GetString()));
        var finding = Assert.Single(hook.GetProperty("findings").EnumerateArray());
        Assert.Equal(("billing", "invoices", "emptied", invoices, 0L), (finding.GetProperty("schema").GetString(), finding.GetProperty("table").GetString(),
            finding.GetProperty("finding").GetString(), finding.GetProperty("previousRows").GetInt64(), finding.GetProperty("rows").GetInt64()));

        var stored = (await system.RunAsync(run))!;
        Assert.Contains(stored.CurrentState, new[] { BackupRunStates.Completed, BackupRunStates.Delivered });
        Assert.Null(stored.FailureCode);
        await using var api = new ApiHost(system);
        using var reader = api.ClientAs("reader-1", "backup.reader");
        var summary = (await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{run}")).GetProperty("run");
        var warning = Assert.Single(summary.GetProperty("dataWarnings").EnumerateArray());
        Assert.Equal(("invoices", "emptied", invoices, 0L), (warning.GetProperty("table").GetString(), warning.GetProperty("finding").GetString(),
            warning.GetProperty("previousRows").GetInt64(), warning.GetProperty("rows").GetInt64()));

        // Delivered again, the event changes nothing: one email, one webhook post, each recorded sent once.
        await rabbit.PublishEventAsync(JsonSerializer.Deserialize<BackupDataSuspicious>(await OutboxPayloadAsync(run), JsonSerializerOptions.Web)!);
        // Each delivery is consumed by both of the notifier's endpoints (email, webhooks).
        await Eventually.True(() => Task.FromResult(consumed.Count == 4), "the repeat to be handled by both endpoints");
        Assert.Single(system.Mail.Messages, m => m.Subject?.StartsWith(WarningSubject, StringComparison.Ordinal) == true);
        Assert.Single(http.Requests, r => r.Body.Contains("backup.data_suspicious"));
        Assert.All(await DeliveriesAsync(run), d => Assert.Equal((NotificationStates.Sent, 1), (d.State, d.Attempts)));
        Assert.Equal(["dba@example.com", "ops@example.com", "webhook:ops"], (await DeliveriesAsync(run)).Select(d => d.Recipient).Order());
    }

    [Fact]
    public async Task A_dropped_table_is_reported_disappeared()
    {
        await BackUpAsync();
        await BackUpAsync();
        await system.Postgres.ExecuteAsync(system.SourceDatabase, "DROP TABLE billing.invoices");
        var run = await BackUpAsync();

        var mail = await system.Mail.WaitForAsync(m => m.Subject?.StartsWith(WarningSubject, StringComparison.Ordinal) == true, "the data warning");
        Assert.Contains($"billing.invoices disappeared ({invoices} rows before, no longer in the backup)", mail.TextBody);
        var hook = JsonDocument.Parse((await http.WaitForAsync(r => r.Body.Contains("backup.data_suspicious"), "the webhook")).Body).RootElement;
        var finding = Assert.Single(hook.GetProperty("findings").EnumerateArray());
        Assert.Equal(("invoices", "disappeared", JsonValueKind.Null), (finding.GetProperty("table").GetString(), finding.GetProperty("finding").GetString(),
            finding.GetProperty("rows").ValueKind));
        Assert.Null((await system.RunAsync(run))!.FailureCode);
    }

    [Fact]
    public async Task The_first_backups_of_a_source_raise_nothing_even_with_a_table_empty_from_the_start()
    {
        await system.Postgres.ExecuteAsync(system.SourceDatabase, "DELETE FROM billing.invoices");
        var first = await BackUpAsync();
        await system.Postgres.ExecuteAsync(system.SourceDatabase, "DELETE FROM public.orders"); // only one backup before it
        var second = await BackUpAsync();

        // The check ran in each completion's transaction (the counts are recorded) and found nothing to publish.
        await using var catalog = system.Catalog();
        Assert.Equal(0L, await catalog.BackupRunTables.Where(t => t.RunId == first && t.TableName == "invoices").Select(t => t.Rows).SingleAsync());
        Assert.Equal(0L, await catalog.BackupRunTables.Where(t => t.RunId == second && t.TableName == "orders").Select(t => t.Rows).SingleAsync());
        Assert.Empty(await catalog.OutboxMessages.Where(m => m.MessageType == typeof(BackupDataSuspicious).FullName).ToListAsync());
        Assert.All(await catalog.BackupRuns.Where(r => r.CorrelationId == first || r.CorrelationId == second).ToListAsync(), r => Assert.Null(r.DataWarnings));
    }

    /// <summary>Requests a backup of demo and waits until the catalog has it completed (or delivered), its backup email sent.</summary>
    async Task<Guid> BackUpAsync()
    {
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        await Eventually.True(async () => (await system.RunAsync(runId))?.CurrentState is BackupRunStates.Completed or BackupRunStates.Delivered,
            $"backup {runId} to complete", TimeSpan.FromMinutes(1));
        await system.Mail.WaitForAsync(m => m.IsAbout(runId) && m.Subject?.StartsWith(WarningSubject, StringComparison.Ordinal) != true, "the backup email");
        return runId;
    }

    async Task<string> OutboxPayloadAsync(Guid run)
    {
        await using var catalog = system.Catalog();
        var payload = await catalog.OutboxMessages.Where(m => m.MessageType == typeof(BackupDataSuspicious).FullName).Select(m => m.Payload).SingleAsync();
        Assert.Contains(run.ToString(), payload);
        return payload;
    }

    async Task<List<Backup.Database.Notifications.NotificationDelivery>> DeliveriesAsync(Guid run) =>
        (await StoredBackups.DeliveriesAsync(system, run)).Where(d => d.Kind is NotificationKinds.DataWarning or NotificationKinds.DataWarningWebhook).ToList();

    /// <summary>Counts BackupDataSuspicious deliveries the notifier's endpoints consumed without a fault.</summary>
    sealed class DataWarningsConsumed : IConsumeObserver
    {
        int count;
        public int Count => Volatile.Read(ref count);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (typeof(T) == typeof(BackupDataSuspicious)) Interlocked.Increment(ref count);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
