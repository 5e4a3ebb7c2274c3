using Microsoft.Extensions.Options;

namespace Backup.Database.Retention;

/// <summary>What the restorer asks before it reads an artifact: why it is being (or was) deleted, or null when it is not.</summary>
public interface IPendingDeletions
{
    Task<string?> ReasonAsync(string artifactKey, CancellationToken cancellationToken);
}

/// <summary>The catalog's answer, under the artifact's advisory lock (<see cref="ArtifactDeletions.PendingReasonAsync"/>).</summary>
public sealed class CatalogPendingDeletions(IOptions<CatalogDatabaseOptions> options) : IPendingDeletions
{
    public Task<string?> ReasonAsync(string artifactKey, CancellationToken cancellationToken) =>
        ArtifactDeletions.PendingReasonAsync(options.Value.Catalog, artifactKey, cancellationToken);
}
