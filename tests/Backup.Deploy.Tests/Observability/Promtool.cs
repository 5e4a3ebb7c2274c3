using System.Diagnostics;

namespace Backup.Deploy.Tests.Observability;

/// <summary>Prometheus' promtool (Debian's prometheus package; deploy/local/infra.sh installs it), run in deploy/observability.</summary>
public static class Promtool
{
    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool")
        {
            WorkingDirectory = Repository.PathOf(ObservabilityFiles.Folder),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: deploy/local/infra.sh up installs it (Debian's prometheus package).", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill();
                throw new TimeoutException($"promtool {string.Join(' ', arguments)} did not finish within 2 minutes.");
            }
            return (process.ExitCode, output.Result + errors.Result);
        }
    }
}
