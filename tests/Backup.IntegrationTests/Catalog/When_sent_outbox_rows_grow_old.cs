using Backup.Catalog;
using Backup.Catalog.Outbox;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Catalog;

/// <summary>
/// The catalog database's outbox_messages holds more sent rows older than Catalog:OutboxRetention (7 days) than one
/// purge batch, a few recent sent rows, and unsent rows more than a year old. The catalog service, on a moved clock
/// and with dispatching off (so the unsent rows stay unsent), deletes every old sent row at start and nothing else;
/// once the clock has moved past the recent rows' retention, its next purge deletes them too; the unsent rows stay.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_sent_outbox_rows_grow_old(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const int OldSent = 2 * OutboxPurger.BatchSize + 5;
    BackupSystem system = null!;
    readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    List<Row> afterStart = [];
    List<Row> afterAWeek = [];

    sealed record Row(long Id, string Kind, bool Sent);

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        var now = clock.GetUtcNow();
        await Seed("old-sent", OldSent, created: now.AddDays(-9), sent: now.AddDays(-8));
        await Seed("recent-sent", 3, created: now.AddDays(-1), sent: now.AddDays(-1));
        await Seed("just-inside", 1, created: now.AddDays(-7), sent: now.AddDays(-7).AddMinutes(5));
        await Seed("old-unsent", 2, created: now.AddDays(-400), sent: null);

        await system.StartAsync("Backup.Catalog", b => b.AddCatalog(), settings =>
        {
            settings["Catalog:DispatchOutbox"] = "false";
            settings["Catalog:OutboxPurgeInterval"] = "01:00:00";
        }, services => services.AddSingleton<TimeProvider>(clock));

        await Eventually.True(async () => (await RowsAsync()).All(r => r.Kind != "old-sent"), "the start-up purge");
        afterStart = await RowsAsync();

        clock.Advance(TimeSpan.FromDays(6) + TimeSpan.FromHours(1)); // the next tick; the recent rows are now 7 d 1 h old
        await Eventually.True(async () => (await RowsAsync()).All(r => !r.Sent), "the purge a week later");
        afterAWeek = await RowsAsync();
    }

    public async Task DisposeAsync() => await system.DisposeAsync();

    async Task Seed(string kind, int count, DateTimeOffset created, DateTimeOffset? sent) =>
        await system.Postgres.ExecuteAsync(system.CatalogDatabase, $$"""
            INSERT INTO outbox_messages (message_type, payload, created_at, sent_at, attempts)
            SELECT 'Backup.Contracts.BackupExpired', '{"kind": "{{kind}}"}', '{{created:O}}',
                   {{(sent is { } at ? $"'{at:O}'" : "NULL")}}, {{(sent is null ? 0 : 1)}}
            FROM generate_series(1, {{count}})
            """);

    async Task<List<Row>> RowsAsync()
    {
        await using var catalog = system.Catalog();
        return (await catalog.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync())
            .Select(m => new Row(m.Id, System.Text.Json.JsonDocument.Parse(m.Payload).RootElement.GetProperty("kind").GetString()!, m.SentAt is not null))
            .ToList();
    }

    [Fact]
    public void Every_sent_row_past_the_retention_is_removed_though_they_were_more_than_one_batch()
    {
        Assert.True(OldSent > OutboxPurger.BatchSize);
        Assert.DoesNotContain(afterStart, r => r.Kind == "old-sent");
    }

    [Fact]
    public void Recent_sent_rows_and_unsent_rows_are_kept()
    {
        Assert.Equal(["recent-sent", "recent-sent", "recent-sent", "just-inside", "old-unsent", "old-unsent"],
            afterStart.Select(r => r.Kind));
    }

    [Fact]
    public void A_week_later_the_next_purge_removes_the_recent_ones_but_never_an_unsent_row()
    {
        Assert.Equal(["old-unsent", "old-unsent"], afterAWeek.Select(r => r.Kind));
        Assert.All(afterAWeek, r => Assert.False(r.Sent));
        Assert.Equal(afterStart.Where(r => r.Kind == "old-unsent").Select(r => r.Id), afterAWeek.Select(r => r.Id));
    }
}
