namespace Backup.Storage.Encryption;

/// <summary>
/// Encryption is configured but can't be done right now (a recipient's key file was deleted, corrupted or has
/// expired since start-up). Thrown before a single byte is written, so the backup fails instead of storing plaintext.
/// </summary>
public sealed class EncryptionUnavailableException : Exception
{
    public EncryptionUnavailableException(string message) : base(message) { }

    public EncryptionUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
