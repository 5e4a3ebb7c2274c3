namespace Backup.Storage.TempFolders;

/// <summary>
/// A folder only this user can enter (0700) for one run's local files: the dumper's PGPASSFILE, a restore's checked
/// copy of the stored bytes, its decoded archive, its loaders' lists and its pgpass file. Named "&lt;owner&gt;-&lt;id&gt;"
/// under a configured parent (default: the system's temp folder, TMPDIR). While it is in use the folder's
/// <see cref="LockFileName"/> is held open with <see cref="FileShare.None"/>, which on Unix is an exclusive advisory
/// flock that the kernel drops when the process dies, even on kill -9: <see cref="TempFolderSweep"/> deletes a
/// folder whose lock it can take, and never one whose lock is held. Deleted, with everything in it, when disposed.
/// </summary>
public sealed class PrivateTempFolder : IDisposable
{
    /// <summary>The file inside every private folder whose lock says its process is alive.</summary>
    public const string LockFileName = "lock";

    const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode FileMode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    readonly FileStream held;
    bool disposed;

    PrivateTempFolder(string path, FileStream held)
    {
        Path = path;
        this.held = held;
    }

    public string Path { get; }

    /// <summary>
    /// A new folder "&lt;owner&gt;-&lt;32 hex digits&gt;" under <paramref name="parent"/> (null or empty: the system's
    /// temp folder), its lock taken. <see cref="DirectoryNotFoundException"/> "'&lt;parent&gt;' does not exist." when
    /// the parent is missing.
    /// </summary>
    public static PrivateTempFolder Create(string? parent, string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var under = ParentFolder(parent);
        if (!Directory.Exists(under))
            throw new DirectoryNotFoundException($"'{under}' does not exist.");
        for (var attempt = 1; ; attempt++)
        {
            var path = System.IO.Path.Combine(under, $"{owner}-{Guid.NewGuid():N}");
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(path);
            else
                Directory.CreateDirectory(path, FolderMode);
            try
            {
                return new PrivateTempFolder(path, Open(path, LockFileName, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.None));
            }
            catch (IOException) when (attempt < 3)
            {
                // A sweep saw the lock file in the instant between its creation and its lock, took the lock and is
                // deleting the folder: start again under another name.
            }
        }
    }

    /// <summary>The folder private folders of <paramref name="parent"/> go in: it, or the system's temp folder.</summary>
    public static string ParentFolder(string? parent) =>
        string.IsNullOrEmpty(parent) ? System.IO.Path.GetTempPath() : System.IO.Path.GetFullPath(parent);

    /// <summary>A new file in the folder, readable and writable by this user only.</summary>
    public FileStream CreateFile(string name) => Open(Path, name, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);

    /// <summary>A new file in the folder, readable and writable by this user only, opened to write and read back.</summary>
    public FileStream CreateReadWriteFile(string name) => Open(Path, name, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.Asynchronous);

    /// <summary>A new file in the folder holding <paramref name="bytes"/>; returns its path.</summary>
    public async Task<string> WriteFileAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await using var file = CreateFile(name);
        await file.WriteAsync(bytes, cancellationToken);
        return file.Name;
    }

    static FileStream Open(string folder, string name, FileAccess access, FileShare share, int bufferSize, FileOptions fileOptions)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = access,
            Share = share,
            BufferSize = bufferSize,
            Options = fileOptions,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = FileMode0600;
        return new FileStream(System.IO.Path.Combine(folder, name), options);
    }

    /// <summary>Deletes the folder while its lock is still held (a sweep never races the deletion), then lets the lock go.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (OperatingSystem.IsWindows()) held.Dispose(); // Windows deletes no open file
        try
        {
            if (Directory.Exists(Path))
                Directory.Delete(Path, recursive: true);
        }
        finally
        {
            held.Dispose();
        }
    }
}
