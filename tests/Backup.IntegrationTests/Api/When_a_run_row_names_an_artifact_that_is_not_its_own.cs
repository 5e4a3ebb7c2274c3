using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Api;
using Backup.Database;
using Backup.IntegrationTests.Health;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// A real backup of source demo, made by the real dumper; then rows are put in the real catalog as a forger with
/// write access to it would: a Completed run of source billing, and a second Completed run of demo, both naming the
/// demo run's artifact key. The API serves, restores and deletes neither: 500 problem details and an error log
/// (6003), and the artifact stays in the store byte for byte, while the run that owns it still downloads.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_run_row_names_an_artifact_that_is_not_its_own(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly Guid runId = Guid.NewGuid();
    readonly RecordedLogs logs = new();
    BackupSystem system = null!;
    ApiHost api = null!;
    BackupRun run = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        await using (var rabbit = await RawRabbit.ConnectAsync(system))
            await rabbit.RequestBackupAsync(runId, "demo");
        run = await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        api = new ApiHost(system);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Theory]
    [InlineData("billing")]
    [InlineData("demo")]
    public async Task It_opens_restores_and_deletes_nothing_and_logs_an_error(string forgedSource)
    {
        var artifact = Path.Combine(system.StoreRoot, run.ArtifactKey!);
        var before = SHA256.HashData(await File.ReadAllBytesAsync(artifact));
        var forged = await ForgeRunAsync(forgedSource, run.ArtifactKey!);
        using var withLogs = api.WithWebHostBuilder(host => host.ConfigureTestServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var admin = withLogs.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", api.Token("admin-1", ["backup.admin"]));

        foreach (var request in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => admin.GetAsync($"/api/v1/runs/{forged}/artifact"),
                     () => admin.GetAsync($"/api/v1/runs/{forged}"),
                     () => admin.DeleteAsync($"/api/v1/runs/{forged}/artifact?force=true"),
                     () => admin.PostAsJsonAsync("/api/v1/restores", new { runId = forged }),
                 })
        {
            var response = await request();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(ForeignArtifactKeyProblems.Type, problem.GetProperty("type").GetString());
            Assert.Contains($"run {forged} (source '{forgedSource}')", problem.GetProperty("detail").GetString());
        }

        Assert.Equal(4, logs.Entries.Count(e => e.EventId == 6003 && e.Level == LogLevel.Error && e.Message.Contains(forged.ToString())));
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(artifact)));
        await using (var catalog = system.Catalog())
        {
            Assert.False(await catalog.ArtifactDeletions.AnyAsync());
            Assert.Equal(BackupRunStates.Completed, (await catalog.BackupRuns.SingleAsync(r => r.CorrelationId == forged)).CurrentState);
        }
        var own = await admin.GetAsync($"/api/v1/runs/{runId}/artifact");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(before, SHA256.HashData(await own.Content.ReadAsByteArrayAsync()));
    }

    // A Completed run row of the given source, with its own id, naming someone else's artifact key.
    async Task<Guid> ForgeRunAsync(string source, string artifactKey)
    {
        var forged = Guid.NewGuid();
        await using var catalog = system.Catalog();
        catalog.BackupRuns.Add(new BackupRun
        {
            CorrelationId = forged, Source = source, CurrentState = BackupRunStates.Completed, RequestedAt = run.RequestedAt,
            StartedAt = run.StartedAt, CompletedAt = DateTimeOffset.UtcNow, ArtifactKey = artifactKey, SizeBytes = run.SizeBytes,
            Sha256 = run.Sha256, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await catalog.SaveChangesAsync();
        return forged;
    }
}
