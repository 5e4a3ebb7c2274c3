using System.Diagnostics;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>A throwaway GnuPG home with one administrator key (no passphrase), made by the stock gpg.</summary>
public sealed class GpgHome : IDisposable
{
    GpgHome(string directory) => Directory = directory;

    public string Directory { get; }
    public string PublicKeyFile => Path.Combine(Directory, "admin.asc");

    public static async Task<GpgHome> CreateAsync(string email)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("gpg-home-").FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var home = new GpgHome(directory);
        await home.RunAsync("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", email, "rsa3072", "encr", "1y");
        await File.WriteAllTextAsync(home.PublicKeyFile, await home.RunAsync("--armor", "--export", email));
        return home;
    }

    /// <summary>The administrator's secret key as 'gpg --export-secret-keys --armor' writes it, in a 0600 file of this home.</summary>
    public async Task<string> ExportSecretKeyAsync(string email)
    {
        var path = Path.Combine(Directory, "admin-secret.asc");
        await File.WriteAllTextAsync(path, await RunAsync("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", email));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    async Task<string> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("gpg") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--homedir");
        start.ArgumentList.Add(Directory);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"gpg failed: {await errors}");
        return await output;
    }

    public void Dispose()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
