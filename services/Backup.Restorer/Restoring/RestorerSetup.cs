using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Restorer.Options;
using Backup.Storage;
using Backup.Storage.Encryption;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Restorer.Restoring;

/// <summary>
/// What each restore of this service runs with, from the Restore and Storage settings validated at start: the store
/// (read only), the restore server, pg_restore, and, for an encrypted artifact, the keys, read for that restore (a
/// key file replaced since the start is used; one gone fails that restore with DecryptionFailed).
/// </summary>
public sealed class RestorerSetup(IOptions<RestoreOptions> options, IArtifactStore store)
{
    /// <summary>The restore server's maintenance database, for the readiness check.</summary>
    public static string ConnectionString(RestoreOptions options)
    {
        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = options.Host,
            Port = options.Port,
            Username = options.Username,
            Password = options.Password.Length > 0 ? options.Password : null,
            Database = options.MaintenanceDatabase,
            Timeout = 5,
            ApplicationName = RestorerCaller.Instance.Name,
        };
        options.Tls.ApplyTo(settings);
        return settings.ConnectionString;
    }

    public RestoreSettings For(ArtifactKey key)
    {
        var restore = options.Value;
        var password = restore.Password.Length > 0 ? restore.Password : null;
        return new RestoreSettings
        {
            Store = store,
            StoreRoot = store.Location,
            Server = new TargetServer(restore.Host, restore.Port, restore.Username, _ => password, RestorerCaller.Instance.Name,
                restore.MaintenanceDatabase) { Tls = restore.Tls },
            Tools = PgClientTools.Locate(restore.PgBinDirectory, RestorerCaller.Instance),
            Caller = RestorerCaller.Instance,
            DecryptionKeys = key.Encoding == ArtifactEncoding.ZstdOpenPgp ? Keys(restore) : null,
            TempDirectory = restore.TempDirectory,
            Jobs = restore.Jobs,
            // A request comes from anyone on the bus: it may replace what an earlier restore made, nothing else.
            OverwriteOnlyRestoredDatabases = true,
        };
    }

    internal static DecryptionKeys? Keys(RestoreOptions restore)
    {
        if (restore.SecretKeyFile.Length == 0)
            return restore.Passphrase.Length > 0 ? DecryptionKeys.FromPassphrase(restore.Passphrase) : null;
        try
        {
            var keys = DecryptionKeys.FromSecretKeyFile(restore.SecretKeyFile, restore.SecretKeyPassphrase);
            return restore.Passphrase.Length > 0 ? keys.WithPassphrase(restore.Passphrase) : keys;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new RecoveryException(RecoveryErrorCode.DecryptionFailed,
                $"Restore:SecretKeyFile '{restore.SecretKeyFile}' can't be used: {e.Message}");
        }
    }
}
