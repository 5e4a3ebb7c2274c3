using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Api;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// The catalog database refusing connections (55000): the API answers 503 problem details with Retry-After, never a
/// 500, and is itself again once the database is back.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_catalog_database_is_unavailable_to_the_API(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
    }

    public async Task DisposeAsync()
    {
        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS true");
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_answers_503_with_Retry_After_and_recovers()
    {
        await using var api = new ApiHost(system);
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/v1/runs")).StatusCode);

        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS false");
        await system.Postgres.ExecuteAsync("postgres",
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{system.CatalogDatabase}' AND pid <> pg_backend_pid()");

        await AssertCatalogUnavailableAsync(await operatorClient.GetAsync("/api/v1/runs"));
        await AssertCatalogUnavailableAsync(await operatorClient.PostAsync("/api/v1/sources/demo/backups", null));

        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS true");
        await Eventually.True(async () => (await operatorClient.GetAsync("/api/v1/runs")).StatusCode == HttpStatusCode.OK,
            "GET /api/v1/runs to answer 200 once the catalog database takes connections again");
    }

    static async Task AssertCatalogUnavailableAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(CatalogUnavailableProblems.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(CatalogUnavailableProblems.Type, problem.GetProperty("type").GetString());
        Assert.DoesNotContain("55000", problem.GetRawText());
    }
}
