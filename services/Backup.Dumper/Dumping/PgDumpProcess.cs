using System.Diagnostics;
using System.Text;
using Backup.Dumper.Options;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Dumping;

/// <summary>
/// Runs the real pg_dump for one source and streams its archive into <c>destination</c>. The password reaches
/// pg_dump through a per-run PGPASSFILE readable only by this user, never through the command line or the
/// environment; other PG* variables of this process are not passed on.
/// </summary>
public sealed class PgDumpProcess(IOptions<DumperOptions> options)
{
    static readonly byte[] CustomFormatMagic = "PGDMP"u8.ToArray();

    public async Task<DumpOutcome> DumpAsync(string sourceName, SourceOptions source, Stream destination,
        CancellationToken cancellationToken)
    {
        var passFile = Path.Combine(Path.GetTempPath(), $"backup-dumper-{Guid.NewGuid():N}.pgpass");
        try
        {
            await WritePassFileAsync(passFile, source, cancellationToken);
            var startInfo = StartInfo(source, passFile);

            using var process = Process.Start(startInfo)
                ?? throw new InvalidOperationException("pg_dump did not start.");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.DumpTimeout);

            var stderr = ReadTailAsync(process.StandardError, timeout.Token);
            long bytes;
            bool magicOk;
            try
            {
                (bytes, magicOk) = await CopyAsync(process.StandardOutput.BaseStream, destination, timeout.Token);
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested) throw;
                return DumpOutcome.Failure(DumpErrorCodes.TimedOut,
                    $"pg_dump of source '{sourceName}' ran longer than Dumper:DumpTimeout ({options.Value.DumpTimeout}) and was stopped.");
            }

            var errors = await stderr;
            if (process.ExitCode != 0)
                return Classify(sourceName, source, process.ExitCode, errors);
            if (bytes == 0 || !magicOk)
                return DumpOutcome.Failure(DumpErrorCodes.DumpFailed,
                    $"pg_dump of source '{sourceName}' exited 0 but wrote {(bytes == 0 ? "nothing" : "something that is not a custom-format archive")}.");

            return DumpOutcome.Success;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return DumpOutcome.Failure(DumpErrorCodes.DumpFailed,
                $"Could not start pg_dump ({e.Message}). Check Dumper:PgBinDirectory ('{options.Value.PgBinDirectory}').");
        }
        finally
        {
            File.Delete(passFile);
        }
    }

    ProcessStartInfo StartInfo(SourceOptions source, string passFile)
    {
        var directory = options.Value.PgBinDirectory;
        var startInfo = new ProcessStartInfo(directory.Length == 0 ? "pg_dump" : Path.Combine(directory, "pg_dump"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in PgDumpArguments.For(source))
            startInfo.ArgumentList.Add(argument);
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
            startInfo.Environment.Remove(name);
        startInfo.Environment["PGPASSFILE"] = passFile;
        startInfo.Environment["PGCONNECT_TIMEOUT"] = "15";
        startInfo.Environment["PGAPPNAME"] = "backup-dumper";
        return startInfo;
    }

    static async Task WritePassFileAsync(string path, SourceOptions source, CancellationToken cancellationToken)
    {
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var writer = new StreamWriter(new FileStream(path, fileOptions));
        await writer.WriteLineAsync(PgDumpArguments.PgPassLine(source).AsMemory(), cancellationToken);
    }

    static async Task<(long Bytes, bool MagicOk)> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        var head = new byte[CustomFormatMagic.Length];
        long total = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (total < head.Length)
                buffer.AsSpan(0, (int)Math.Min(read, head.Length - total)).CopyTo(head.AsSpan((int)total));
            total += read;
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return (total, total >= head.Length && head.AsSpan().SequenceEqual(CustomFormatMagic));
    }

    static async Task<string> ReadTailAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = await reader.ReadToEndAsync(cancellationToken);
        // The tail is where pg_dump says why it stopped; the whole reason must fit BackupFailed's 2000 characters.
        return text.Length <= 1200 ? text.Trim() : "…" + text[^1200..].Trim();
    }

    static DumpOutcome Classify(string sourceName, SourceOptions source, int exitCode, string stderr)
    {
        var where = $"{source.Host}:{source.Port}/{source.Database} as {source.Username}";
        if (stderr.Contains("password authentication failed", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("no password supplied", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("authentication failed", StringComparison.OrdinalIgnoreCase))
            return DumpOutcome.Failure(DumpErrorCodes.AuthenticationFailed,
                $"PostgreSQL refused the credentials of source '{sourceName}' ({where}). Check Sources:{sourceName}:Username and the secret Sources:{sourceName}:Password. pg_dump said: {stderr}");
        if (stderr.Contains("server version mismatch", StringComparison.OrdinalIgnoreCase))
            return DumpOutcome.Failure(DumpErrorCodes.VersionMismatch,
                $"pg_dump is older than the server of source '{sourceName}'. Install a pg_dump at least as new as the server and point Dumper:PgBinDirectory at it. pg_dump said: {stderr}");
        if (stderr.Contains("could not connect", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("connection refused", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("could not translate host name", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("timeout expired", StringComparison.OrdinalIgnoreCase))
            return DumpOutcome.Failure(DumpErrorCodes.ConnectionFailed,
                $"Could not connect to source '{sourceName}' ({where}). Check that the server is up and Sources:{sourceName}:Host/Port. pg_dump said: {stderr}");
        return DumpOutcome.Failure(DumpErrorCodes.DumpFailed,
            $"pg_dump of source '{sourceName}' ({where}) exited with code {exitCode}. pg_dump said: {stderr}");
    }
}
