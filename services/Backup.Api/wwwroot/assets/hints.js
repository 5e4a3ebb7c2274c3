// The first thing to check for a failure, in the words of the notifier's alert email (BackupEmails.FirstCheck).

/** For a BackupFailed error code (BackupErrorCodes), naming the settings involved. */
export function backupFirstCheck(errorCode, source) {
  switch (errorCode) {
    case 'AuthenticationFailed': return `the source's username and password secret (Sources:${source}:Username, Sources:${source}:Password) against the database's roles.`;
    case 'ConnectionFailed': return `that the source database is up and reachable from the dumper (Sources:${source}:Host and Port).`;
    case 'UnknownSource': return "the name in the request against the dumper's configured sources (Sources:<name>).";
    case 'VersionMismatch': return "the pg_dump version in the dumper's image (Dumper:PgBinDirectory) against the source server's version.";
    case 'IncompleteSelection': return `the foreign keys the reason names: include the referenced tables (Sources:${source}:IncludeTables) or turn off Sources:${source}:Strict.`;
    case 'StorageFailed': return 'free space and permissions of the artifact store (Storage:Root), or the bucket and its keys (Storage:S3:*).';
    case 'EncryptionFailed': return "the recipients' public key files and their expiry (Encryption:RecipientKeyFiles), or Encryption:Passphrase.";
    case 'TimedOut': return `whether a dumper is running and consuming: the catalog times out a run it hears nothing of within Catalog:RunTimeout (per source Catalog:RunTimeouts:${source}) while no dump of it heartbeats; if the reason says pg_dump itself ran too long, the size of the critical tables and Dumper:DumpTimeout.`;
    case 'DumpFailed': return "the dumper's log for this run id, and pg_dump's own message in the reason.";
    default: return "the dumper's log for this run id.";
  }
}

/** For a RestoreFailed error code (RestoreErrorCodes). */
export function restoreFirstCheck(errorCode) {
  switch (errorCode) {
    case 'ArtifactNotFound': return 'whether the artifact is still in the store (retention may have deleted it): pick a newer run.';
    case 'ManifestMissing': return "the artifact's manifest in the store: without it the restorer cannot check what it restores.";
    case 'IntegrityCheckFailed': return "the stored bytes against the manifest (size, SHA-256): the artifact changed in the store; restore another run.";
    case 'DecryptionFailed': return "the restorer's private key or passphrase (Encryption:*) against the artifact's recipients.";
    case 'TargetExists': return 'the target database name: it exists; choose a new one, or tick overwrite if replacing it is what you want.';
    case 'TargetBusy': return 'the other restore into the same target database: wait for it to finish, or restore into a new database.';
    case 'ConnectionFailed': return "that the restore server is up and accepts the restorer's login (the Restore settings).";
    case 'RestoreFailed': return "the restorer's log for this restore id, and pg_restore's own message in the reason.";
    case 'RowCountMismatch': return "the tables whose restored rows differ from the manifest's, in the restorer's report.";
    case 'Interrupted': return 'whether the restorer is running: it stopped without a report; request the restore again.';
    case 'InvalidRequest': return 'the request: the reason names what the restorer refused (the artifact key or the target name).';
    default: return "the restorer's log for this restore id.";
  }
}
