namespace Backup.Ctl;

/// <summary>
/// A command stops with a message for the operator and an exit code (<see cref="ExitCodes"/>). Thrown where the
/// problem is found; <see cref="BackupCtl"/> prints the message to standard error and returns the code.
/// </summary>
public sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailure Usage(string message) => new(ExitCodes.Usage, message);

    public static CommandFailure Artifact(string message) => new(ExitCodes.ArtifactFailed, message);

    public static CommandFailure Database(string message) => new(ExitCodes.DatabaseFailed, message);
}
