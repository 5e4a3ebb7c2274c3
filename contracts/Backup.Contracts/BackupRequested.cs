namespace Backup.Contracts;

/// <summary>
/// Asks for one backup of a configured source. Published by the scheduler at each cron occurrence and by any
/// platform service that wants a backup now. The source's connection comes from the dumper's configuration,
/// never from this message. Wire format: specs/011-automated-backup/asyncapi.yaml.
/// </summary>
public sealed record BackupRequested
{
    /// <summary>Identifies the run; every later event of this run carries the same id. Chosen by the requester.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Name of a configured source, for example "demo" (lower-case letters, digits, '-' and '_').</summary>
    public required string Source { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    /// <summary>Who asked, for the audit trail: "scheduler" or the requesting service's name.</summary>
    public required string RequestedBy { get; init; }
}
