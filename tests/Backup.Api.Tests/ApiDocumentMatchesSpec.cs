using System.Text.Json.Nodes;

namespace Backup.Api.Tests;

/// <summary>One API host for the class: it serves the document the tests compare.</summary>
public sealed class ServedDocument : IAsyncLifetime
{
    readonly ApiDocumentHost host = new();

    public JsonNode Document { get; private set; } = new JsonObject();

    public async Task InitializeAsync()
    {
        using var client = host.CreateClient();
        Document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json")) ?? throw new InvalidOperationException("/openapi/v1.json is empty.");
    }

    public async Task DisposeAsync() => await host.DisposeAsync();
}

/// <summary>
/// The spec's api.yaml and the document the API serves at /openapi/v1.json describe the same API: the same paths and
/// methods, parameters, request bodies and response schemas. A change on either side alone fails here, naming each
/// difference.
/// </summary>
public sealed class ApiDocumentMatchesSpec(ServedDocument served) : IClassFixture<ServedDocument>
{
    public static string SpecPath
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "specs", "011-automated-backup", "api.yaml");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("specs/011-automated-backup/api.yaml not found above " + AppContext.BaseDirectory);
        }
    }

    static JsonNode Written() => OpenApiComparison.ParseYaml(File.ReadAllText(SpecPath));

    [Fact]
    public void The_served_document_and_api_yaml_agree()
    {
        var differences = OpenApiComparison.Differences(served.Document, Written());
        Assert.True(differences.Count == 0,
            $"/openapi/v1.json and {SpecPath} differ in {differences.Count} place(s):\n  " + string.Join("\n  ", differences));
    }

    [Fact]
    public void The_served_document_says_every_operation_takes_a_JWT_bearer_token()
    {
        var scheme = served.Document["components"]?["securitySchemes"]?["bearer"];
        Assert.Equal("http", scheme?["type"]?.GetValue<string>());
        Assert.Equal("bearer", scheme?["scheme"]?.GetValue<string>());
        Assert.Equal("JWT", scheme?["bearerFormat"]?.GetValue<string>());
        var requirement = Assert.Single(served.Document["security"]!.AsArray());
        Assert.NotNull(requirement?["bearer"]);
    }

    [Fact]
    public void Api_yaml_is_openapi_3_0_like_the_served_document()
    {
        Assert.StartsWith("3.0.", served.Document["openapi"]?.ToString());
        Assert.StartsWith("3.0.", Written()["openapi"]?.ToString());
    }

    [Fact]
    public void The_comparison_compares_the_served_document_with_something()
    {
        var facts = OpenApiComparison.Facts(served.Document);
        Assert.Contains("GET /api/v1/runs", facts.Keys);
        Assert.Contains("POST /api/v1/sources/{source}/backups parameter header:idempotency-key", facts.Keys);
        Assert.Contains(facts.Keys, key => key.StartsWith("GET /api/v1/runs/{runId} response 200 application/json $.run.runId", StringComparison.Ordinal));
        Assert.Equal("type=string pattern=^[0-9a-f]{64}$", facts["GET /api/v1/runs/{runId}/artifact response 206 header x-backup-sha256"]);
        Assert.Equal("type=string", facts["POST /api/v1/restores response 202 header location"]);
        Assert.Equal("type=integer", facts["GET /api/v1/retention/preview response 401 header www-authenticate"] == "type=string"
            ? facts["POST /api/v1/sources/{source}/backups response 429 header retry-after"] : "401 without WWW-Authenticate");
    }

    [Fact]
    public void A_missing_or_changed_response_header_is_a_difference()
    {
        var broken = Written();
        var accepted = broken["paths"]!["/api/v1/sources/{source}/backups"]!["post"]!["responses"]!["202"]!;
        Assert.True(accepted["headers"]!.AsObject().Remove("Location"));
        broken["components"]!["headers"]!["XBackupSha256"]!["schema"]!["pattern"] = "^[0-9A-F]{64}$";

        var differences = OpenApiComparison.Differences(served.Document, broken);

        Assert.Contains(differences, d => d.StartsWith("POST /api/v1/sources/{source}/backups response 202 header location: only in the served document", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("GET /api/v1/runs/{runId}/artifact response 200 header x-backup-sha256: served says type=string pattern=^[0-9a-f]{64}$, api.yaml says type=string pattern=^[0-9A-F]{64}$", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broken_api_yaml_is_reported_difference_by_difference()
    {
        var broken = Written();
        // A path dropped, a parameter renamed, a property's type changed, a required flag and a response removed.
        Assert.True(broken["paths"]!.AsObject().Remove("/api/v1/sources"));
        var listRuns = broken["paths"]!["/api/v1/runs"]!["get"]!;
        var state = listRuns["parameters"]!.AsArray().Single(p => ResolvedName(broken, p) == "state")!;
        if (state["$ref"] is not null) throw new InvalidOperationException("Expected the state parameter written inline.");
        state["name"] = "status";
        var summary = broken["components"]!["schemas"]!["RunSummary"]!;
        summary["properties"]!["sizeBytes"] = new JsonObject { ["type"] = "string" };
        var body = broken["components"]!["schemas"]!["RestoreRequestBody"]!["required"]!.AsArray();
        body.Remove(body.Single(n => n?.ToString() == "runId"));
        Assert.True(broken["paths"]!["/api/v1/restores"]!["post"]!["responses"]!.AsObject().Remove("409"));

        var differences = OpenApiComparison.Differences(served.Document, broken);

        Assert.Contains(differences, d => d.StartsWith("GET /api/v1/sources: only in the served document", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("GET /api/v1/runs parameter query:state: only in the served document", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("GET /api/v1/runs parameter query:status: only in api.yaml", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("GET /api/v1/runs response 200 application/json $.items[].sizeBytes: served says required=true type=integer format=int64 nullable, api.yaml says required=true type=string", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("POST /api/v1/restores requestBody application/json $.runId: served says required=true", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("POST /api/v1/restores response 409: only in the served document", StringComparison.Ordinal));
        Assert.DoesNotContain(differences, d => d.StartsWith("GET /api/v1/runs/{runId}/artifact", StringComparison.Ordinal));
    }

    static string? ResolvedName(JsonNode document, JsonNode? parameter) =>
        parameter?["name"]?.ToString() ?? (parameter?["$ref"]?.ToString() is { } reference
            ? document["components"]!["parameters"]![reference.Split('/')[^1]]!["name"]?.ToString() : null);
}
