using System.Diagnostics;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Npgsql;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// Dumper:DumpTimeout stops a pg_dump that runs too long, although the dumper reads its output with blocking reads
/// that no token interrupts: the timeout kills pg_dump, the read ends, and the run fails at once with TimedOut. Here
/// pg_dump waits on a table the test keeps locked for the whole test, so nothing but the timeout can end it.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_pg_dump_runs_past_the_dump_timeout(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly TimeSpan DumpTimeout = TimeSpan.FromSeconds(5); // the least Dumper:DumpTimeout takes
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    NpgsqlConnection blocker = null!;
    readonly Guid runId = Guid.NewGuid();
    readonly Stopwatch sinceRequested = new();
    BackupRun run = null!;
    List<int> pgDumpsWhileLocked = null!;
    List<int> pgDumpsAfterTheTimeout = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Dumper:DumpTimeout"] = DumpTimeout.ToString("c"));
        rabbit = await RawRabbit.ConnectAsync(system);

        blocker = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase));
        await blocker.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", blocker))
            await begin.ExecuteNonQueryAsync();

        sinceRequested.Start();
        await rabbit.RequestBackupAsync(runId, "demo");
        // Taken from the read that saw it: a second read could miss a pg_dump that was there (and the dumper's own
        // short-lived `pg_dump --version` is no dump of this source, which PgDumpChildren leaves out).
        pgDumpsWhileLocked = await Eventually.Get(() => Task.FromResult(PgDumpChildren() is { Count: > 0 } running ? running : null),
            "pg_dump to start (and wait for the lock)");
        run = await system.WaitForStateAsync(runId, BackupRunStates.Failed, TimeSpan.FromMinutes(1));
        sinceRequested.Stop();
        await Eventually.True(() => Task.FromResult(PgDumpChildren().Count == 0), "the timed-out pg_dump to be gone");
        pgDumpsAfterTheTimeout = PgDumpChildren();
    }

    public async Task DisposeAsync()
    {
        await blocker.DisposeAsync(); // the lock goes with the connection
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    /// <summary>
    /// The pg_dump processes of this test's source database that this test process (its in-process dumper) started and
    /// that are still running: not the dumper's `pg_dump --version`, nor a dump another test's dumper runs meanwhile.
    /// </summary>
    List<int> PgDumpChildren()
    {
        var children = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var command = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (command == "pg_dump" && fields[0] != "Z" && int.Parse(fields[1]) == Environment.ProcessId
                    && File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0').Contains(system.SourceDatabase))
                    children.Add(pid);
            }
            catch (IOException)
            {
                // It ended while being read.
            }
        }
        return children;
    }

    /// <summary>One fact, so that the system starts once (xUnit makes a new instance, and runs InitializeAsync, per fact).</summary>
    [Fact]
    public void It_stops_pg_dump_and_the_run_fails_with_TimedOut_while_the_table_is_still_locked()
    {
        Assert.Single(pgDumpsWhileLocked);
        Assert.Empty(pgDumpsAfterTheTimeout);
        Assert.Equal("TimedOut", run.FailureCode);
        Assert.Contains("Dumper:DumpTimeout", run.FailureReason);
        Assert.InRange(sinceRequested.Elapsed, DumpTimeout, DumpTimeout + TimeSpan.FromSeconds(30));
        Assert.Empty(Directory.EnumerateFiles(system.StoreRoot, "*", SearchOption.AllDirectories));
    }
}
