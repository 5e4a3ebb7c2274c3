using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Backup.Storage.Tests.Encryption;

/// <summary>
/// A throwaway GNUPGHOME (mode 0700) driven through the stock gpg binary: keys are made, exported and used exactly
/// as an administrator would. Passphrases go to gpg on stdin (--passphrase-fd 0), never as arguments.
/// </summary>
sealed class GpgHome : IDisposable
{
    public GpgHome()
    {
        Path = Directory.CreateTempSubdirectory("gpg-").FullName;
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    public string FileIn(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Makes a key without a passphrase and returns its fingerprint. <paramref name="algorithm"/> "future-default" is ed25519 with a cv25519 encryption subkey.</summary>
    public string GenerateKey(string userId, string algorithm = "future-default", string usage = "default", string expire = "never",
        string? fakedSystemTime = null)
    {
        List<string> arguments = ["--pinentry-mode", "loopback", "--passphrase-fd", "0"];
        if (fakedSystemTime is not null) arguments.AddRange(["--faked-system-time", fakedSystemTime]);
        arguments.AddRange(["--quick-gen-key", userId, algorithm, usage, expire]);
        Run(stdin: "\n", [.. arguments]);
        return Fingerprint(userId);
    }

    /// <summary>Makes a key protected by <paramref name="passphrase"/>, given to gpg on stdin.</summary>
    public string GenerateProtectedKey(string userId, string passphrase)
    {
        string[] arguments = ["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--quick-gen-key", userId, "future-default", "default", "never"];
        // gpg-agent, started by this very call, now and then fails to protect the new key under load ("Corrupted
        // protection", nothing written): the fixture's own set-up, not what is tested, so it asks once more.
        var first = TryRun(passphrase + "\n", arguments);
        if (first.ExitCode != 0 && first.Stderr.Contains("Corrupted protection", StringComparison.Ordinal))
            Run(passphrase + "\n", arguments);
        else if (first.ExitCode != 0)
            throw new InvalidOperationException($"gpg {string.Join(' ', arguments)} exited with {first.ExitCode}: {first.Stderr}");
        return Fingerprint(userId);
    }

    public string Fingerprint(string userId)
    {
        var listing = Encoding.UTF8.GetString(Run(stdin: null, "--with-colons", "--list-keys", "--", userId).Stdout);
        return listing.Split('\n').First(line => line.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    /// <summary>The long key ids of the key's encryption subkeys, as gpg lists them.</summary>
    public List<string> EncryptionSubkeyIds(string fingerprint)
    {
        var listing = Encoding.UTF8.GetString(Run(stdin: null, "--with-colons", "--list-keys", "--", fingerprint).Stdout);
        return listing.Split('\n').Where(line => line.StartsWith("sub:", StringComparison.Ordinal))
            .Select(line => line.Split(':')).Where(fields => fields[11].Contains('e')).Select(fields => fields[4]).ToList();
    }

    public string ExportPublicKey(string fingerprint, string file, bool armor = true)
    {
        Run(stdin: null, [.. armor ? ["--armor"] : Array.Empty<string>(), "--output", file, "--export", fingerprint]);
        return file;
    }

    public string ExportSecretKey(string fingerprint, string file, string passphrase = "")
    {
        Run(stdin: passphrase + "\n", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--armor",
            "--output", file, "--export-secret-keys", fingerprint);
        return file;
    }

    /// <summary>Revokes the whole key with the revocation certificate gpg made for it at generation.</summary>
    public void Revoke(string fingerprint)
    {
        var certificate = File.ReadAllText(System.IO.Path.Combine(Path, "openpgp-revocs.d", fingerprint + ".rev"))
            .Replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        var file = FileIn("revocation.asc");
        File.WriteAllText(file, certificate);
        Run(stdin: null, "--import", file);
    }

    /// <summary>gpg --decrypt of <paramref name="ciphertext"/>; a passphrase, when given, goes in on stdin.</summary>
    public GpgResult Decrypt(byte[] ciphertext, string? passphrase = null)
    {
        var input = FileIn($"in-{Guid.NewGuid():N}.gpg");
        var output = FileIn($"out-{Guid.NewGuid():N}");
        File.WriteAllBytes(input, ciphertext);
        List<string> arguments = passphrase is null ? [] : ["--pinentry-mode", "loopback", "--passphrase-fd", "0"];
        var result = TryRun(passphrase is null ? null : passphrase + "\n", [.. arguments, "--output", output, "--decrypt", input]);
        var plaintext = File.Exists(output) ? File.ReadAllBytes(output) : [];
        return result with { Stdout = plaintext };
    }

    /// <summary>gpg --verbose --list-packets (stdout and stderr); it needs the key to look inside the encrypted packet.</summary>
    public string ListPackets(byte[] ciphertext)
    {
        var input = FileIn($"in-{Guid.NewGuid():N}.gpg");
        File.WriteAllBytes(input, ciphertext);
        var result = TryRun(null, "--verbose", "--list-packets", input);
        return Encoding.UTF8.GetString(result.Stdout) + result.Stderr;
    }

    /// <summary>Encrypts as stock gpg does by default (it compresses), to check that our reader handles gpg's own output.</summary>
    public byte[] EncryptWithGpg(byte[] plaintext, string fingerprint)
    {
        var input = FileIn($"plain-{Guid.NewGuid():N}");
        var output = input + ".gpg";
        File.WriteAllBytes(input, plaintext);
        Run(stdin: null, "--trust-model", "always", "--recipient", fingerprint, "--output", output, "--encrypt", input);
        return File.ReadAllBytes(output);
    }

    public GpgResult Run(string? stdin, params string[] arguments)
    {
        var result = TryRun(stdin, arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"gpg {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Stderr}");
        return result;
    }

    public GpgResult TryRun(string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo("gpg")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--homedir", Path, "--batch", "--no-tty", "--yes", .. arguments])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException($"gpg {string.Join(' ', arguments)} did not finish within two minutes.");
        }

        copy.GetAwaiter().GetResult();
        return new GpgResult(process.ExitCode, stdout.ToArray(), stderr.GetAwaiter().GetResult());
    }

    public void Dispose()
    {
        // Stop the agent this home started, then remove the home.
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("gpgconf") { ArgumentList = { "--homedir", Path, "--kill", "gpg-agent" }, UseShellExecute = false });
            kill?.WaitForExit(TimeSpan.FromSeconds(30));
        }
        finally
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

sealed record GpgResult(int ExitCode, byte[] Stdout, string Stderr);

static class Bytes
{
    public static byte[] Random(int count)
    {
        var bytes = new byte[count];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
