using System.Diagnostics;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>What one backupctl command line did.</summary>
public sealed record CtlRun(int ExitCode, string Output, string Errors)
{
    public string All => Output + Errors;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Errors}";
}

/// <summary>Runs backupctl: in this process through its root command, or as the built tool in a process of its own.</summary>
public static class Backupctl
{
    /// <summary>Parses and invokes the command line in-process, capturing what it writes.</summary>
    public static async Task<CtlRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exitCode = await BackupCtl.RunAsync(args, Terminal.Capture(output, errors));
        return new CtlRun(exitCode, output.ToString(), errors.ToString());
    }

    /// <summary>
    /// Runs the built tool (backupctl.dll beside the tests) with <c>dotnet</c>, as an operator would run it. The child
    /// gets this process's environment without any BACKUP_* variable (no broker, no service settings), plus
    /// <paramref name="environment"/>.
    /// </summary>
    public static Task<CtlRun> RunProcessAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "backupctl.dll"), .. args], environment);

    /// <summary>Runs a published backupctl <paramref name="executable"/> as <see cref="RunProcessAsync"/> runs the built one.</summary>
    public static Task<CtlRun> RunExecutableAsync(string executable, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync(executable, args, environment);

    static async Task<CtlRun> RunProgramAsync(string program, string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in args) start.ArgumentList.Add(argument);
        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("BACKUP_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
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
            throw new TimeoutException($"backupctl {string.Join(' ', args)} ran longer than 3 minutes.");
        }
        return new CtlRun(process.ExitCode, await output, await errors);
    }
}
