using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Backup.Archive;
using Backup.Dumper.Options;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Dumping;

/// <summary>The PostgreSQL client programs the dumper runs: where they are, what version, how they start.</summary>
public sealed partial class PgDumpTool(IOptions<DumperOptions> options)
{
    [GeneratedRegex(@"\(PostgreSQL\) (\d+)(\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionLine();

    Task<(int Major, string Text)>? version;

    public string PathOf(string program) =>
        options.Value.PgBinDirectory.Length == 0 ? program : Path.Combine(options.Value.PgBinDirectory, program);

    /// <summary>pg_dump's version, asked once ("pg_dump (PostgreSQL) 15.18 ...").</summary>
    public Task<(int Major, string Text)> VersionAsync() => version ??= AskVersionAsync();

    async Task<(int, string)> AskVersionAsync()
    {
        using var process = Process.Start(Start("pg_dump", ["--version"]))!;
        var output = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        var match = VersionLine().Match(output);
        if (process.ExitCode != 0 || !match.Success)
            throw new InvalidOperationException($"'{PathOf("pg_dump")} --version' did not print a PostgreSQL version: {output}");
        return (int.Parse(match.Groups[1].Value), output);
    }

    /// <summary>
    /// A start for one of the client programs: arguments as a list, no shell, and an allowlist environment
    /// (<see cref="PgClientEnvironment"/>): none of this process's variables but PATH and the locale. A program that
    /// connects gets the source's password file and its TLS settings (PGSSLMODE, PGSSLROOTCERT).
    /// </summary>
    public ProcessStartInfo Start(string program, IEnumerable<string> arguments, string? passFile = null, PgTls? tls = null)
    {
        var start = new ProcessStartInfo(PathOf(program))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var settings = new Dictionary<string, string> { ["PGCONNECT_TIMEOUT"] = "15", ["PGAPPNAME"] = "backup-dumper" };
        if (passFile is not null) settings["PGPASSFILE"] = passFile;
        foreach (var (name, value) in tls?.LibpqSettings() ?? [])
            settings[name] = value;
        PgClientEnvironment.Apply(start, settings);
        return start;
    }
}
