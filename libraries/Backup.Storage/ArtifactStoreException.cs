namespace Backup.Storage;

/// <summary>
/// A store call failed. <see cref="Transient"/> says whether trying again can help (a server busy or unreachable, an
/// S3 5xx or throttling) or not (access denied, no such bucket, disk full): then the message names what a person must
/// fix, such as the setting to check. The message never holds a secret.
/// </summary>
public sealed class ArtifactStoreException(string message, bool transient, Exception? innerException = null)
    : IOException(message, innerException)
{
    /// <summary>True when the same call may succeed later without anyone changing anything.</summary>
    public bool Transient { get; } = transient;
}
