using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// A service run as its own OS process from its build output (dotnet Backup.X.dll), configured the way the local
/// stack does it: settings as environment variables, secrets as key-per-file files. For tests that kill a process.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    readonly Process process;
    readonly string secrets;

    ServiceProcess(Process process, string secrets, string url)
    {
        this.process = process;
        this.secrets = secrets;
        Url = url;
    }

    public string Url { get; }
    public int Id => process.Id;

    /// <summary>What the process wrote to standard output and error so far, line by line (its console log).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    public static async Task<ServiceProcess> StartAsync(string project, IReadOnlyDictionary<string, string?> settings,
        IReadOnlySet<string> secretKeys)
    {
        var service = await LaunchAsync(project, settings, secretKeys);
        using var http = new HttpClient { BaseAddress = new Uri(service.Url) };
        await Eventually.True(async () =>
        {
            if (service.process.HasExited) throw new InvalidOperationException($"{project} exited with {service.process.ExitCode} at start.");
            try { return (await http.GetAsync("/health/ready")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, $"{project} (process) to report ready");
        return service;
    }

    /// <summary>
    /// Starts a service that is expected to refuse to start, and waits (a minute at most) for it to exit: its exit code
    /// and everything it wrote to standard output and error.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string project, IReadOnlyDictionary<string, string?> settings,
        IReadOnlySet<string> secretKeys)
    {
        await using var service = await LaunchAsync(project, settings, secretKeys);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await service.process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{project} was expected to refuse to start but still runs after a minute. Output:\n" +
                string.Join('\n', service.Output));
        }
        service.process.WaitForExit(); // the end of its redirected output too
        return (service.process.ExitCode, string.Join('\n', service.Output));
    }

    static async Task<ServiceProcess> LaunchAsync(string project, IReadOnlyDictionary<string, string?> settings, IReadOnlySet<string> secretKeys)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepositoryRoot.Path, "services", project, "bin", configuration, "net10.0", project + ".dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build {project} first ({configuration}).", dll);

        var secrets = Directory.CreateTempSubdirectory("backup-secrets-").FullName;
        var url = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["BACKUP_SECRETS_DIR"] = secrets;
        foreach (var (key, value) in settings)
        {
            if (value is null) continue;
            var name = key.Replace(":", "__");
            if (secretKeys.Contains(key))
            {
                var file = Path.Combine(secrets, name);
                await File.WriteAllTextAsync(file, value);
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            else
            {
                start.Environment[name] = value;
            }
        }
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, secrets, url);
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) service.Output.Enqueue(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) service.Output.Enqueue(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>SIGKILL: no shutdown, no cleanup, no acknowledgement.</summary>
    public void KillHard()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        Directory.Delete(secrets, recursive: true);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
