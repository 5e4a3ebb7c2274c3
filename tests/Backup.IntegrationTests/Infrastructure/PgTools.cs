using System.Diagnostics;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>The stock PostgreSQL client tools, run the way an operator would, with the password in a 0600 PGPASSFILE.</summary>
public static class PgTools
{
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
