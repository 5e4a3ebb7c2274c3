namespace Backup.Recovery;

/// <summary>
/// A recovery stops with a message for the operator: what is wrong and what to do about it, never a secret. Thrown
/// where the problem is found; backupctl prints it and exits with the code's exit code, the restorer publishes it as
/// RestoreFailed.
/// </summary>
public sealed class RecoveryException(RecoveryErrorCode code, string message) : Exception(message)
{
    public RecoveryErrorCode Code { get; } = code;
}
