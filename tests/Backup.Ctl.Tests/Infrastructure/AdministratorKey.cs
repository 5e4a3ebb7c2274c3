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
        // gpg-agent sometimes fails a key generation under load ("signing failed: Corrupted protection") when many
        // agents start at once; a fresh home is tried again, twice at most, so the fixture doesn't fail for gpg's race.
        for (var attempt = 1; ; attempt++)
        {
            var key = new AdministratorKey(NewHome());
            try
            {
                await key.GenerateAsync(email);
                return key;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                try { await key.RunAsync(null, ["--kill", "gpg-agent"], "gpgconf"); } catch (InvalidOperationException) { }
                key.Dispose();
            }
        }
    }

    static string NewHome()
    {
        var home = Directory.CreateTempSubdirectory("ctl-gpg-").FullName;
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return home;
    }

    async Task GenerateAsync(string email)
    {
        // ed25519 for signing and a cv25519 encryption subkey: quick to make, and what current gpg makes by default.
        // The passphrase goes through stdin (--passphrase-fd 0), not the command line.
        await RunAsync(Passphrase, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
            "--quick-gen-key", email, "future-default", "default", "1y");
        await File.WriteAllTextAsync(PublicKeyFile, await RunAsync(null, "--armor", "--export", email));
        await File.WriteAllTextAsync(SecretKeyFile, await RunAsync(Passphrase, "--batch", "--pinentry-mode", "loopback",
            "--passphrase-fd", "0", "--armor", "--export-secret-keys", email));
    }

    async Task<string> RunAsync(string? input, params string[] arguments) => await RunAsync(input, arguments, "gpg");

    async Task<string> RunAsync(string? input, string[] arguments, string program)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("--homedir");
        start.ArgumentList.Add(Home);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        if (input is not null) await process.StandardInput.WriteLineAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {await errors}");
        return await output;
    }

    public void Dispose()
    {
        // gpg-agent may still be writing into the home as it shuts down; what it leaves is in the temp folder.
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}
