namespace Backup.ServiceDefaults;

/// <summary>
/// A message that no retry can make right (an all-zero run id, an event of one source aimed at another source's run):
/// thrown by the consumer or the saga's pipe, it is not retried, MassTransit logs it with this reason and moves the
/// message to the endpoint's _error queue (its exception headers carry the reason), where it is kept for a person to read.
/// </summary>
public sealed class RefusedMessageException(string reason) : Exception(reason)
{
    /// <summary>Refuses a message whose run id is missing or all zeros: every run has its own id, chosen by the requester.</summary>
    public static void ThrowIfNoRunId(Guid runId, string messageType) => ThrowIfNoId(runId, "runId", messageType);

    /// <summary>Refuses a message whose id field <paramref name="field"/> is missing or all zeros (nothing could be correlated by it).</summary>
    public static void ThrowIfNoId(Guid id, string field, string messageType)
    {
        if (id == Guid.Empty)
            throw new RefusedMessageException($"{messageType} refused: its {field} is all zeros (every run needs its own id).");
    }
}
