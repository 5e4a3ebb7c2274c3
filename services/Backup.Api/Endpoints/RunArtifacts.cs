using Backup.Database;
using Backup.Storage;

namespace Backup.Api.Endpoints;

/// <summary>
/// Where a run's artifact is, as the catalog row the dumper's BackupCompleted filled in, checked before the API opens,
/// deletes or restores anything: a key of the shape the dumper makes (<see cref="ArtifactKey.TryParse"/>: no "..", no
/// absolute path), under the run's own source, made for the run itself. A row that names anything else is refused
/// with <see cref="ForeignArtifactKeyException"/>, so an edited or forged catalog row can't point the API at another
/// source's artifact.
/// </summary>
public static class RunArtifacts
{
    /// <summary>The run's artifact key when it has an artifact (Completed or Delivered); null when it has none.</summary>
    public static ArtifactKey? StoredKey(BackupRun run) =>
        BackupRunStates.WithArtifact.Contains(run.CurrentState) ? OwnKey(run) : null;

    /// <summary>The key the run's row names, whatever its state (null when none), once checked to be the run's own.</summary>
    public static ArtifactKey? OwnKey(BackupRun run)
    {
        if (run.ArtifactKey is null) return null;
        if (!ArtifactKey.TryParse(run.ArtifactKey, out var key))
            throw new ForeignArtifactKeyException(run, "it is not an artifact key of the shape the dumper makes");
        if (key.Source != run.Source)
            throw new ForeignArtifactKeyException(run, $"it lies under source '{key.Source}', not under the run's source '{run.Source}'");
        if (key.RunId != run.CorrelationId)
            throw new ForeignArtifactKeyException(run, $"it was made for run {key.RunId}, not for this run");
        return key;
    }
}

/// <summary>A run row whose artifact key is not that run's own (<see cref="RunArtifacts"/>); answered 500, logged as an error.</summary>
public sealed class ForeignArtifactKeyException(BackupRun run, string problem)
    : Exception($"The catalog's row of run {run.CorrelationId} (source '{run.Source}') names an artifact key that is not its own: {problem}.")
{
    public Guid RunId { get; } = run.CorrelationId;
}
