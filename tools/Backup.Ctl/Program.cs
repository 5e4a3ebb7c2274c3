using Backup.Ctl;

// backupctl list | verify | restore | decrypt — see BackupCtl for the commands and ExitCodes for what they return.
return await BackupCtl.RunAsync(args, Terminal.ForThisProcess());
