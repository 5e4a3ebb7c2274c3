namespace Backup.ServiceDefaults;

/// <summary>The name a process puts on the rows it claims (jobs, schedule occurrences, deliveries).</summary>
public static class ClaimHolder
{
    /// <summary>Host, process id and a random part, e.g. "backup-dumper-1/4242/0f8fad5b": a restarted process (or a second instance in one process) is another holder.</summary>
    public static string New() => $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
