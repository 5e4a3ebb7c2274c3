using System.Net;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// Downloads are limited per caller (Api:DownloadsPerMinute), like triggers but counted apart: over the limit, 429
/// with Retry-After, for that caller only; another caller still downloads.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_caller_downloads_too_often(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        api = new ApiHost(system, settings =>
        {
            settings["Api:DownloadsPerMinute"] = "2";
            settings["Api:RequestsPerMinute"] = "1";
        });
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_next_download_in_the_minute_is_429_with_Retry_After_for_that_caller_only()
    {
        using var greedy = api.ClientAs("operator-1", "backup.operator");
        using var other = api.ClientAs("operator-2", "backup.operator");
        var path = $"/api/v1/runs/{Guid.NewGuid()}/artifact";

        // Counted whatever the answer: a run that doesn't exist is 404, and the limit is on asking.
        Assert.Equal(HttpStatusCode.NotFound, (await greedy.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await greedy.GetAsync(path)).StatusCode);
        var refused = await greedy.GetAsync(path);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(path)).StatusCode);
    }
}
