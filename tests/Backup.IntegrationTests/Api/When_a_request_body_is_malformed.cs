using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// A body that is not JSON, a number where a run id belongs, a string where a boolean belongs, no run id at all: each
/// gets 400 problem details naming the field, in Development as in Production (not a 500, not a bare "Bad Request").
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_request_body_is_malformed(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
    }

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task It_answers_400_problem_details_naming_the_field(string environment)
    {
        await using var api = new ApiHost(system, environment: environment);
        using var admin = api.ClientAs("admin-1", "backup.admin");

        await AssertBadFieldAsync(admin, HttpMethod.Post, "/api/v1/restores", "this is not json {", "body");
        await AssertBadFieldAsync(admin, HttpMethod.Post, "/api/v1/restores", "{ \"runId\": ", "runId");
        await AssertBadFieldAsync(admin, HttpMethod.Post, "/api/v1/restores", "{\"runId\": 42}", "runId");
        await AssertBadFieldAsync(admin, HttpMethod.Post, "/api/v1/restores", "{\"runId\": \"not-a-guid\"}", "runId");
        await AssertBadFieldAsync(admin, HttpMethod.Post, "/api/v1/restores", "{}", "runId");
        await AssertBadFieldAsync(admin, HttpMethod.Put, "/api/v1/sources/demo/schedule", "{\"cron\": \"0 3 * * *\", \"enabled\": \"yes\"}", "enabled");
        await AssertBadFieldAsync(admin, HttpMethod.Put, "/api/v1/sources/demo/schedule", "not json", "body");
    }

    static async Task AssertBadFieldAsync(HttpClient client, HttpMethod method, string path, string body, string field)
    {
        var response = await client.SendAsync(new HttpRequestMessage(method, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} {body}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }
}
