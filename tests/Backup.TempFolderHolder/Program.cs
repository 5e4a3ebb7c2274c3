using Backup.Storage.TempFolders;

// Backup.TempFolderHolder PARENT OWNER: makes a private temp folder under PARENT for OWNER, writes a secret-like file in
// it, prints the folder's path and holds it until standard input closes (then deletes it, as every owner does).
using var folder = PrivateTempFolder.Create(args[0], args[1]);
await folder.WriteFileAsync("pgpass", "*:*:db:user:not-a-real-password\n"u8.ToArray(), CancellationToken.None);
Console.WriteLine(folder.Path);
await Console.In.ReadToEndAsync();
