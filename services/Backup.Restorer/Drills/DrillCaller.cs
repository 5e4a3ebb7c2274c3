using Backup.Recovery;

namespace Backup.Restorer.Drills;

/// <summary>The restorer's drills as the recovery core's caller: its messages name the Drills settings.</summary>
public static class DrillCaller
{
    public static RecoveryCaller Instance { get; } = new()
    {
        Name = "backup-drill",
        TargetDatabase = "the scratch database",
        PgBin = "Restore:PgBinDirectory",
        TempDirectory = "Restore:TempDirectory",
        GiveDecryptionKeys = "give the drills a key: Drills:SecretKeyFile (and the secret Drills:SecretKeyPassphrase when the key has one), or the restorer's Restore:SecretKeyFile or secret Restore:Passphrase",
        ChooseAnotherTarget = "A drill replaces only scratch databases drills made; drop the database by hand if it is not one.",
        AfterFailedRestore = "it is dropped when the drill ends",
        CheckConnection = "Check the drill server's settings: Drills:Host, Drills:Port, Drills:Username and the secret Drills:Password (empty Drills:Host: the Restore settings).",
        FindTheKey = _ => "The artifact may have been deleted since the backup (retention, or by hand); check the restorer's Storage settings.",
    };
}
