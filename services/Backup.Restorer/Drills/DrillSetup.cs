using Backup.Recovery;
using Backup.Recovery.Drills;
using Backup.Recovery.Postgres;
using Backup.Restorer.Options;
using Backup.Restorer.Restoring;
using Backup.Storage;
using Backup.Storage.Encryption;
using Microsoft.Extensions.Options;

namespace Backup.Restorer.Drills;

/// <summary>
/// What each drill runs with, from the Drills, Restore and Storage settings: the drill server (the restore server
/// unless Drills:Host is set), pg_restore, the store, the drill's own keys, and the source's checks.
/// </summary>
public sealed class DrillSetup(IOptions<DrillOptions> drills, IOptions<RestoreOptions> restore, IArtifactStore store)
{
    public DrillOptions Options => drills.Value;

    /// <summary>The drill server, "host:port": drills on one server run one at a time (their jobs' group).</summary>
    public string ServerName => Server().Address;

    public DrillSettings For(ArtifactKey key)
    {
        var (drill, restoreOptions) = (drills.Value, restore.Value);
        return new DrillSettings
        {
            Restore = new RestoreSettings
            {
                Store = store,
                StoreRoot = store.Location,
                Server = Server(),
                Tools = PgClientTools.Locate(restoreOptions.PgBinDirectory, DrillCaller.Instance),
                Caller = DrillCaller.Instance,
                DecryptionKeys = key.Encoding == ArtifactEncoding.ZstdOpenPgp ? Keys(drill, restoreOptions) : null,
                TempDirectory = restoreOptions.TempDirectory,
                Jobs = restoreOptions.Jobs,
                OverwriteOnlyRestoredDatabases = true,
            },
            Checks = [.. drill.ChecksFor(key.Source).Select(c => new DrillCheckQuery(c.Name, c.Sql))],
            CheckTimeout = drill.CheckTimeout,
            AllowSourceServer = drill.AllowSourceServer,
        };
    }

    TargetServer Server()
    {
        var (drill, restoreOptions) = (drills.Value, restore.Value);
        if (drill.Host.Length == 0)
        {
            var password = restoreOptions.Password.Length > 0 ? restoreOptions.Password : null;
            return new TargetServer(restoreOptions.Host, restoreOptions.Port, restoreOptions.Username, _ => password, DrillCaller.Instance.Name,
                restoreOptions.MaintenanceDatabase) { Tls = restoreOptions.Tls };
        }
        var own = drill.Password.Length > 0 ? drill.Password : null;
        return new TargetServer(drill.Host, drill.Port, drill.Username, _ => own, DrillCaller.Instance.Name, drill.MaintenanceDatabase)
        {
            Tls = drill.Tls,
        };
    }

    static DecryptionKeys? Keys(DrillOptions drill, RestoreOptions restore)
    {
        if (drill.SecretKeyFile.Length == 0) return RestorerSetup.Keys(restore);
        try
        {
            return DecryptionKeys.FromSecretKeyFile(drill.SecretKeyFile, drill.SecretKeyPassphrase);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new RecoveryException(RecoveryErrorCode.DecryptionFailed, $"Drills:SecretKeyFile '{drill.SecretKeyFile}' can't be used: {e.Message}");
        }
    }
}
