using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// An operator triggers a backup through the API; the real dumper makes it; the run, its timeline and manifest are
/// read back, and the artifact is downloaded in ranges whose reassembled bytes hash to the manifest's SHA-256.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_backup_is_triggered_and_downloaded_through_the_API(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    HttpClient operatorClient = null!;
    Guid runId;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
        await system.StartCatalog();
        await system.StartDumper();
        api = new ApiHost(system);
        operatorClient = api.ClientAs("operator-1", "backup.operator");

        var response = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        operatorClient.Dispose();
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_run_is_listed_and_shows_its_manifest_and_who_asked()
    {
        using var reader = api.ClientAs("reader-1", "backup.reader");
        // The catalog may see the dumper's events before the API's BackupRequested (other queues): wait until it has it.
        await Eventually.True(async () => (await system.RunAsync(runId))?.RequestedBy is not null, "the catalog to record who asked");
        var page = await reader.GetFromJsonAsync<JsonElement>("/api/v1/runs?source=demo&state=Completed");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(runId, item.GetProperty("runId").GetGuid());
        Assert.Equal("api:operator-1", item.GetProperty("requestedBy").GetString());

        var detail = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
        var run = await system.RunAsync(runId);
        Assert.Equal(run!.Sha256, detail.GetProperty("manifest").GetProperty("sha256").GetString());
        Assert.Contains(detail.GetProperty("manifest").GetProperty("tables").EnumerateArray(), t => t.GetProperty("name").GetString() == "customers");

        // pg_dump's raw size travels from the manifest through BackupCompleted to the catalog's run and the API.
        var raw = detail.GetProperty("manifest").GetProperty("rawSizeBytes").GetInt64();
        Assert.True(raw > run.SizeBytes, "the raw archive is larger than the compressed artifact");
        Assert.Equal(raw, run.RawSizeBytes);
        Assert.Equal(raw, item.GetProperty("rawSizeBytes").GetInt64());
        Assert.Equal(raw, detail.GetProperty("run").GetProperty("rawSizeBytes").GetInt64());
    }

    [Fact]
    public async Task The_artifact_downloaded_in_ranges_reassembles_to_the_manifest_sha256_and_the_download_is_audited()
    {
        var run = (await system.RunAsync(runId))!;
        var size = run.SizeBytes!.Value;
        var parts = new List<byte[]>();
        const long chunk = 1000;
        for (long offset = 0; offset < size; offset += chunk)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/runs/{runId}/artifact");
            request.Headers.Range = new RangeHeaderValue(offset, Math.Min(offset + chunk, size) - 1);
            var response = await operatorClient.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(run.Sha256, response.Headers.GetValues("X-Backup-Sha256").Single());
            parts.Add(await response.Content.ReadAsByteArrayAsync());
        }
        var whole = parts.SelectMany(p => p).ToArray();
        Assert.Equal(size, whole.Length);
        Assert.Equal(run.Sha256, Convert.ToHexStringLower(SHA256.HashData(whole)));

        var full = await operatorClient.GetAsync($"/api/v1/runs/{runId}/artifact");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(run.Sha256, Convert.ToHexStringLower(SHA256.HashData(await full.Content.ReadAsByteArrayAsync())));
        Assert.Equal($"sha-256={Convert.ToBase64String(Convert.FromHexString(run.Sha256!))}", full.Headers.GetValues("Digest").Single());

        await using var catalog = system.Catalog();
        var audited = await catalog.AuditEntries.Where(a => a.Action == "artifact.download" && a.Actor == "operator-1").ToListAsync();
        Assert.Equal(parts.Count + 1, audited.Count);
        Assert.All(audited, a => Assert.Equal(run.ArtifactKey, a.Target));
    }

    [Fact]
    public async Task Only_an_admin_deletes_and_the_newest_good_backup_needs_force_then_the_run_is_Expired()
    {
        var run = (await system.RunAsync(runId))!;
        var artifact = Path.Combine(system.StoreRoot, run.ArtifactKey!);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.DeleteAsync($"/api/v1/runs/{runId}/artifact")).StatusCode);

        using var admin = api.ClientAs("admin-1", "backup.admin");
        var refused = await admin.DeleteAsync($"/api/v1/runs/{runId}/artifact");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("newest good backup", await refused.Content.ReadAsStringAsync());
        Assert.True(File.Exists(artifact));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/runs/{runId}/artifact?force=true")).StatusCode);
        Assert.False(File.Exists(artifact));
        var expired = await system.WaitForStateAsync(runId, BackupRunStates.Expired);
        Assert.Equal("manual: deleted through the API by admin-1", expired.ExpiryReason);
        await using var catalog = system.Catalog();
        Assert.Equal([409, 204], await catalog.AuditEntries.Where(a => a.Action == "artifact.delete").OrderBy(a => a.Id).Select(a => a.Status).ToListAsync());
    }
}
