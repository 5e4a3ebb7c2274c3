namespace Backup.Ctl;

/// <summary>
/// A command stops with a message for the operator and an exit code (<see cref="ExitCodes"/>). Thrown where the
/// problem is found; <see cref="BackupCtl"/> prints the message to standard error and returns the code. For
/// backupctl's own problems (its options and files); the recovery core throws
/// <see cref="Backup.Recovery.RecoveryException"/>, whose code maps to an exit code through <see cref="ExitCodes.For"/>.
/// </summary>
public sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailure Usage(string message) => new(ExitCodes.Usage, message);

    public static CommandFailure Artifact(string message) => new(ExitCodes.ArtifactFailed, message);
}
