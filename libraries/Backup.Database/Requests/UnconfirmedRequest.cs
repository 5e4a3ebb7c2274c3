namespace Backup.Database.Requests;

/// <summary>
/// A backup or restore the API was asked for without an Idempotency-Key, from just before it published the request
/// until the broker confirmed that a queue has it (then the row is deleted). A row that stays is a request whose fate
/// the caller was not told (503): the caller's retry for the same subject reuses <see cref="Id"/>, so a request the
/// broker took after all (its confirm came after Api:PublishTimeout) and its retry are one run, not two.
/// </summary>
public sealed class UnconfirmedRequest
{
    /// <summary>The run id (kind backup) or restore id (kind restore) the request was published with.</summary>
    public Guid Id { get; set; }

    /// <summary>"backup" or "restore".</summary>
    public required string Kind { get; set; }

    /// <summary>What was asked for: the source (backup), or the artifact, target and flags (restore).</summary>
    public required string Subject { get; set; }

    /// <summary>Who asked: the token's subject, as the audit log names it.</summary>
    public required string Actor { get; set; }

    public DateTimeOffset RequestedAt { get; set; }
}
