using Backup.Recovery;

namespace Backup.Restorer.Restoring;

/// <summary>The restorer as the recovery core's caller: its messages name a RestoreRequested's fields and the Restore settings.</summary>
public static class RestorerCaller
{
    public static RecoveryCaller Instance { get; } = new()
    {
        Name = "backup-restorer",
        TargetDatabase = "TargetDatabase",
        PgBin = "Restore:PgBinDirectory",
        TempDirectory = "Restore:TempDirectory",
        GiveDecryptionKeys = "configure the restorer with Restore:SecretKeyFile (and the secret Restore:SecretKeyPassphrase when the key has one), or the secret Restore:Passphrase",
        ChooseAnotherTarget = "Choose another TargetDatabase, or ask again with Overwrite to drop and recreate it.",
        AfterFailedRestore = "drop it, or ask again with Overwrite",
        KeepPrivileges = "KeepPrivileges",
        KeepFailedDatabase = "KeepFailedDatabase",
        CheckConnection = "Check the restorer's Restore:Host, Restore:Port, Restore:Username and the secret Restore:Password.",
        FindTheKey = _ => "Give the key exactly as BackupCompleted.ArtifactKey carried it, and check that the restorer's Storage:Root is the dumper's store.",
    };
}
