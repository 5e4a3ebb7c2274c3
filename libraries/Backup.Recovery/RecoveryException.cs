namespace Backup.Recovery;

/// <summary>
/// A recovery stops with a message for the operator: what is wrong and what to do about it, never a secret nor row
/// data. Thrown where the problem is found; backupctl prints it and exits with the code's exit code, the restorer
/// publishes it as RestoreFailed. <see cref="ToolOutput"/> is what a client program wrote in full (it may quote rows):
/// for a debug log only.
/// </summary>
public sealed class RecoveryException(RecoveryErrorCode code, string message, string? toolOutput = null) : Exception(message)
{
    public RecoveryErrorCode Code { get; } = code;

    /// <summary>The full standard error of the program that failed, when one did; it may quote rows.</summary>
    public string? ToolOutput { get; } = toolOutput;
}
