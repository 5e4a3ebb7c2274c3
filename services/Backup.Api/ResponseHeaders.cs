using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Backup.Api;

/// <summary>A header an endpoint sends with one of its responses, for the served OpenAPI document (endpoint metadata).</summary>
public sealed record ResponseHeader(int Status, string Name, string Description, JsonSchemaType Type = JsonSchemaType.String, string? Pattern = null);

public static class ResponseHeaders
{
    /// <summary>Says in the served document that the <paramref name="status"/> response carries this header.</summary>
    public static RouteHandlerBuilder WithResponseHeader(this RouteHandlerBuilder endpoint, int status, string name, string description,
        JsonSchemaType type = JsonSchemaType.String, string? pattern = null) =>
        endpoint.WithMetadata(new ResponseHeader(status, name, description, type, pattern));

    /// <summary>Where to follow an accepted request (the run or the restore).</summary>
    public static RouteHandlerBuilder WithLocation(this RouteHandlerBuilder endpoint) =>
        endpoint.WithResponseHeader(StatusCodes.Status202Accepted, "Location", "Where to follow the request (the run or the restore).");

    /// <summary>A download's headers: the artifact's SHA-256 twice, and how the range was served.</summary>
    public static RouteHandlerBuilder WithArtifactHeaders(this RouteHandlerBuilder endpoint)
    {
        foreach (var status in new[] { StatusCodes.Status200OK, StatusCodes.Status206PartialContent })
            endpoint
                .WithResponseHeader(status, "X-Backup-Sha256", "The artifact's SHA-256, lower-case hex, from its manifest.", pattern: "^[0-9a-f]{64}$")
                .WithResponseHeader(status, "Digest", "The same SHA-256 as an RFC 3230 digest: `sha-256=` and base64.");
        return endpoint
            .WithResponseHeader(StatusCodes.Status200OK, "Accept-Ranges", "`bytes` when the store's stream can seek.")
            .WithResponseHeader(StatusCodes.Status200OK, "Content-Disposition", "`attachment` with the artifact's file name.")
            .WithResponseHeader(StatusCodes.Status206PartialContent, "Content-Range", "`bytes start-end/length`.");
    }

    /// <summary>The headers every 401 and 429 carries, whatever the endpoint (the authentication and rate-limit middleware send them).</summary>
    internal static readonly ResponseHeader[] Common =
    [
        new(StatusCodes.Status401Unauthorized, "WWW-Authenticate", "Why the token was refused."),
        new(StatusCodes.Status429TooManyRequests, "Retry-After", "Seconds to wait (60).", JsonSchemaType.Integer),
    ];
}

/// <summary>Puts each response's headers (<see cref="ResponseHeader"/> metadata, and <see cref="ResponseHeaders.Common"/>) into the served OpenAPI document, as api.yaml has them.</summary>
public sealed class ResponseHeadersTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var headers = context.Description.ActionDescriptor.EndpointMetadata.OfType<ResponseHeader>().Concat(ResponseHeaders.Common);
        foreach (var header in headers)
        {
            if (operation.Responses?.TryGetValue(header.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) != true
                || found is not OpenApiResponse response)
                continue;
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[header.Name] = new OpenApiHeader
            {
                Description = header.Description,
                Schema = new OpenApiSchema { Type = header.Type, Pattern = header.Pattern },
            };
        }
        return Task.CompletedTask;
    }
}
