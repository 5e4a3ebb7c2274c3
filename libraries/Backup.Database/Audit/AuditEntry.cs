namespace Backup.Database.Audit;

/// <summary>
/// One sensitive action taken through the HTTP API (a download, a restore, a deletion, a schedule change, a
/// triggered backup): who, what, on what, when, from where, and how it ended. Written before the response is sent.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The token's subject (sub claim), or its name claim when it has no subject.</summary>
    public required string Actor { get; set; }

    /// <summary>What was done, e.g. "artifact.download", "backup.trigger", "restore.request".</summary>
    public required string Action { get; set; }

    /// <summary>What it was done to: a run id, an artifact key, a source, a restore id.</summary>
    public required string Target { get; set; }

    /// <summary>The client's address as the API saw it.</summary>
    public string? RemoteAddress { get; set; }

    /// <summary>The HTTP status of the answer, e.g. 200, 202, 206, 404.</summary>
    public int Status { get; set; }

    public string? Detail { get; set; }
}
