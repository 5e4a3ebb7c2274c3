namespace Backup.Recovery.Restore;

/// <summary>
/// A folder only this user can enter (0700) for one restore's files (the checked copy of the stored bytes, the decoded
/// archive or the loaders' scripts, the pgpass file); deleted, with everything in it, when disposed.
/// </summary>
public sealed class PrivateTempFolder : IDisposable
{
    PrivateTempFolder(string path) => Path = path;

    public string Path { get; }

    /// <summary>
    /// A new folder "&lt;caller&gt;-&lt;id&gt;" under <paramref name="parent"/> (default: the system's temp folder,
    /// TMPDIR); <see cref="RecoveryErrorCode.InvalidRequest"/> when the parent does not exist.
    /// </summary>
    public static PrivateTempFolder Create(string? parent, RecoveryCaller caller)
    {
        var under = string.IsNullOrEmpty(parent) ? System.IO.Path.GetTempPath() : System.IO.Path.GetFullPath(parent);
        if (!Directory.Exists(under))
            throw new RecoveryException(RecoveryErrorCode.InvalidRequest, $"{caller.TempDirectory} '{under}' does not exist.");
        var path = System.IO.Path.Combine(under, $"{caller.Name}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new PrivateTempFolder(path);
    }

    /// <summary>A new file in the folder, readable and writable by this user only.</summary>
    public FileStream CreateFile(string name) => Create(name, FileAccess.Write);

    FileStream Create(string name, FileAccess access)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = access,
            BufferSize = 1 << 16,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(System.IO.Path.Combine(Path, name), options);
    }

    /// <summary>A new file in the folder, readable and writable by this user only, opened to write and read back.</summary>
    public FileStream CreateReadWriteFile(string name) => Create(name, FileAccess.ReadWrite);

    /// <summary>A new file in the folder holding <paramref name="bytes"/>; returns its path.</summary>
    public async Task<string> WriteFileAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await using var file = CreateFile(name);
        await file.WriteAsync(bytes, cancellationToken);
        return file.Name;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
