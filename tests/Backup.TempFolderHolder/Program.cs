using Backup.Storage.TempFolders;

// Backup.TempFolderHolder hold PARENT OWNER: makes a private temp folder under PARENT for OWNER, writes a secret-like
// file in it, prints the folder's path and holds it until standard input closes (then deletes it, as every owner does).
// Backup.TempFolderHolder sweep PARENT OWNER: sweeps OWNER's folders under PARENT and prints what it did, so the sweep
// can run in a process with settings of its own (DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
if (args[0] == "sweep")
{
    var result = TempFolderSweep.Run(new TempFolderSweepSettings(args[2], args[1], TimeSpan.FromDays(1)), TimeProvider.System);
    Console.WriteLine($"removed={result.RemovedFolders.Count} in-use={result.KeptInUse} locking-unavailable={result.LockingUnavailable}");
    return;
}

using var folder = PrivateTempFolder.Create(args[1], args[2]);
await folder.WriteFileAsync("pgpass", "*:*:db:user:not-a-real-password\n"u8.ToArray(), CancellationToken.None);
Console.WriteLine(folder.Path);
await Console.In.ReadToEndAsync();
