using System.Diagnostics;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// An administrator's OpenPGP key made by the stock gpg in a throwaway home, protected by a passphrase: the public
/// key for the encryptor, the secret key as 'gpg --export-secret-keys --armor' writes it for backupctl.
/// </summary>
public sealed class AdministratorKey : IDisposable
{
    public const string Passphrase = "the administrator's own passphrase";

    AdministratorKey(string home) => Home = home;

    public string Home { get; }
    public string PublicKeyFile => Path.Combine(Home, "admin.pub.asc");
    public string SecretKeyFile => Path.Combine(Home, "admin.sec.asc");

    public static async Task<AdministratorKey> CreateAsync(string email)
    {
        var home = Directory.CreateTempSubdirectory("ctl-gpg-").FullName;
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = new AdministratorKey(home);
        // ed25519 for signing and a cv25519 encryption subkey: quick to make, and what current gpg makes by default.
        await key.RunAsync("--batch", "--pinentry-mode", "loopback", "--passphrase", Passphrase,
            "--quick-gen-key", email, "future-default", "default", "1y");
        await File.WriteAllTextAsync(key.PublicKeyFile, await key.RunAsync("--armor", "--export", email));
        await File.WriteAllTextAsync(key.SecretKeyFile, await key.RunAsync("--batch", "--pinentry-mode", "loopback",
            "--passphrase", Passphrase, "--armor", "--export-secret-keys", email));
        return key;
    }

    async Task<string> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("gpg") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--homedir");
        start.ArgumentList.Add(Home);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"gpg {string.Join(' ', arguments)} failed: {await errors}");
        return await output;
    }

    public void Dispose()
    {
        // gpg-agent may still be writing into the home as it shuts down; what it leaves is in the temp folder.
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}
