namespace Backup.Ctl.Tests.Infrastructure;

public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Backup.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Backup.sln not found above " + AppContext.BaseDirectory);
    }
}
