using System.Diagnostics;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>deploy/local/infra.sh, the script that starts and stops the tests' RabbitMQ, PostgreSQL and s3rver.</summary>
public static class InfraScript
{
    /// <summary>infra.sh COMMAND DIR [ARGS...], with a deadline; its log in the exception when it fails.</summary>
    public static async Task RunAsync(string command, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { Path.Combine(RepositoryRoot.Path, "deploy", "local", "infra.sh"), command, directory }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"infra.sh {command} did not end within 3 minutes: {await errors}");
        }
        await output;
        if (process.ExitCode != 0) throw new InvalidOperationException($"infra.sh {command} failed: {await errors}");
    }
}
