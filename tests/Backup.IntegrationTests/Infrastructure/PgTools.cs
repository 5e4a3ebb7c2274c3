using System.Diagnostics;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>The stock PostgreSQL client tools, run the way an operator would, with the password in a 0600 PGPASSFILE.</summary>
public static class PgTools
{
    /// <summary>The README's one-line restore with stock tools, as it is written there ("zstd -dc …" or "gpg --decrypt …").</summary>
    public static string ReadmeRestoreLine(string startingWith) =>
        File.ReadAllLines(System.IO.Path.Combine(RepositoryRoot.Path, "README.md"))
            .Single(line => line.StartsWith(startingWith, StringComparison.Ordinal) && line.Contains("| pg_restore ", StringComparison.Ordinal));

    /// <summary>Runs a README restore line in bash (with pipefail) with ARTIFACT, TARGET, the PG* connection and extra variables set.</summary>
    public static async Task RunReadmeRestoreLineAsync(PostgresEndpoint postgres, string artifact, string target,
        string startingWith = "zstd -dc \"$ARTIFACT\"", IReadOnlyDictionary<string, string>? environment = null)
    {
        var passFile = System.IO.Path.GetTempFileName();
        File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(passFile, $"*:*:*:{postgres.Username}:{postgres.Password}\n");
        try
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-o", "pipefail", "-c", ReadmeRestoreLine(startingWith) })
                start.ArgumentList.Add(argument);
            start.Environment["ARTIFACT"] = artifact;
            start.Environment["TARGET"] = target;
            start.Environment["PGHOST"] = postgres.Host;
            start.Environment["PGPORT"] = postgres.Port.ToString();
            start.Environment["PGUSER"] = postgres.Username;
            start.Environment["PGPASSFILE"] = passFile;
            start.Environment["PATH"] = postgres.BinDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
                start.Environment[name] = value;
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(deadline.Token);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"The README's restore line exited {process.ExitCode}: {await errors}");
        }
        finally
        {
            File.Delete(passFile);
        }
    }

    public static async Task<string> RunAsync(PostgresEndpoint postgres, string tool, params string[] arguments)
    {
        var passFile = System.IO.Path.GetTempFileName();
        File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(passFile, $"*:*:*:{postgres.Username}:{postgres.Password}\n");
        try
        {
            var start = new ProcessStartInfo(System.IO.Path.Combine(postgres.BinDirectory, tool))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { $"--host={postgres.Host}", $"--port={postgres.Port}", $"--username={postgres.Username}", "--no-password" }.Concat(arguments))
                start.ArgumentList.Add(argument);
            start.Environment["PGPASSFILE"] = passFile;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(deadline.Token);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{tool} exited {process.ExitCode}: {await errors}");
            return await output;
        }
        finally
        {
            File.Delete(passFile);
        }
    }
}
