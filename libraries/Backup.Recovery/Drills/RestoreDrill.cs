using System.Net.Sockets;
using Backup.Contracts;
using Backup.Recovery.Restore;
using Backup.Recovery.Verification;
using Backup.Storage;
using Npgsql;

namespace Backup.Recovery.Drills;

/// <summary>
/// A restore drill of one backup, as the restorer's drill jobs and <c>backupctl verify --restore</c> run it: under the
/// drill server's lock (one drill per server; a scratch database a killed drill left is dropped first), the artifact is
/// restored into a scratch database by the same core as every restore (fetched, size and SHA-256 checked, decrypted
/// with the drill's own keys, decoded, loaded); then every table is counted exactly (count(*)) against the manifest's
/// rows, counted in the dump's snapshot; every object of the archive's table of contents is looked for; every sequence
/// is compared with its dumped value; the source's checks run read-only. The scratch database is always dropped. Each
/// step is timed; their sum is the backup's measured recovery time.
/// </summary>
public static class RestoreDrill
{
    public static async Task<DrillReport> RunAsync(DrillSettings settings, ArtifactKey key, Guid runId, RestoreProgress? progress,
        CancellationToken cancellationToken)
    {
        var restore = settings.Restore with { OverwriteOnlyRestoredDatabases = true };
        var (server, caller) = (restore.Server, restore.Caller);
        var scratch = ScratchDatabases.NameFor(runId);
        var timing = new DrillProgress(progress ?? RestoreProgress.None);
        ArtifactManifest? manifest = null;
        IReadOnlyList<RowCount> tables = [];
        IReadOnlyList<DrillCheckResult> checks = [];
        var failures = new List<string>();
        string? code = null, reason = null;

        DrillReport Report() => new(key, manifest, timing.Steps(), tables, checks, failures, code, reason);
        DrillReport Fail(string errorCode, string why)
        {
            (code, reason) = (errorCode, why);
            if (failures.Count == 0) failures.Add(why);
            return Report();
        }

        NpgsqlConnection maintenance;
        try
        {
            maintenance = server.Connect(server.MaintenanceDatabase, commandTimeout: 0);
            await maintenance.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            return Fail(VerificationErrorCodes.ConnectionFailed,
                $"Could not connect to the drill server {server.Describe()}: {Why(e)}. {caller.CheckConnection}");
        }
        await using var _ = maintenance;
        try
        {
            await ScratchDatabases.LockServerAsync(maintenance, cancellationToken);
            await ScratchDatabases.DropLeftoversAsync(maintenance, cancellationToken);

            (manifest, var problem) = await ManifestCheck.TryReadAsync(restore.Store, key, cancellationToken);
            if (manifest is not null && !settings.AllowSourceServer && await ScratchDatabases.ExistsAsync(maintenance, manifest.Database, cancellationToken))
                return Fail(VerificationErrorCodes.RestoreFailed,
                    $"The drill server {server.Describe()} has a database named {manifest.Database}, like the source's: it may be the source's own " +
                    $"server, where a drill would load a whole copy of the data beside production. Give the drills a server of their own " +
                    $"(a disaster-recovery server), or set {settings.AllowSourceServerSetting} to drill there anyway.");
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return Fail(VerificationErrorCodes.ConnectionFailed, $"The drill server {server.Describe()} failed before the drill started: {Why(e)}");
        }

        timing.Start();
        try
        {
            try
            {
                manifest = (await ArtifactRestore.RunAsync(restore, key, scratch, overwrite: true, timing, cancellationToken)).Manifest;
                timing.RestoreEnded();
            }
            catch (RecoveryException e)
            {
                return Fail(Code(e.Code), e.Message);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                return Fail(e is PostgresException ? VerificationErrorCodes.RestoreFailed : VerificationErrorCodes.ConnectionFailed,
                    $"The drill server {server.Describe()} failed during the restore of {key}: {Why(e)}");
            }

            await using var restored = await OpenWithoutJitAsync(server, scratch, cancellationToken);
            tables = await CountAsync(server, scratch, manifest.Tables, restore.Jobs, cancellationToken);
            foreach (var table in tables.Where(t => !t.Matches))
                failures.Add(table.Restored is { } rows
                    ? $"table {table.Table}: {rows:N0} rows restored, {table.Expected:N0} in the dump's snapshot"
                    : $"table {table.Table}: missing after the restore ({table.Expected:N0} rows in the dump's snapshot)");
            code ??= failures.Count > 0 ? VerificationErrorCodes.RowCountMismatch : null;

            var missing = await RestoredObjects.MissingAsync(restored, timing.Entries, cancellationToken);
            failures.AddRange(missing.Select(m => $"{m}: in the archive, missing after the restore"));
            code ??= missing.Count > 0 ? VerificationErrorCodes.ObjectMissing : null;

            var sequences = await RestoredObjects.SequencesOffAsync(restored, RestoredObjects.DumpedSequences(timing.Entries), cancellationToken);
            failures.AddRange(sequences);
            code ??= sequences.Count > 0 ? VerificationErrorCodes.SequenceMismatch : null;
            timing.End(DrillSteps.Verify);

            if (settings.Checks.Count > 0)
            {
                checks = await DrillCheckRunner.RunAsync(restored, settings.Checks, settings.CheckTimeout, cancellationToken);
                failures.AddRange(checks.Where(c => !c.Passed).Select(c => $"check {c.Name}: {c.Detail}"));
                code ??= checks.Any(c => !c.Passed) ? VerificationErrorCodes.CheckFailed : null;
                timing.End(DrillSteps.Checks);
            }
            reason = code is null ? null : Summary(key, code, failures);
            return Report();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return Fail(VerificationErrorCodes.ConnectionFailed, $"The drill server {server.Describe()} failed while the restored data was checked: {Why(e)}");
        }
        finally
        {
            try
            {
                await ScratchDatabases.DropAsync(maintenance, scratch, CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                // The next drill on this server drops it (it carries the drill's mark).
            }
        }
    }

    /// <summary>Every manifest table counted with count(*), in up to <paramref name="sessions"/> sessions at once.</summary>
    static async Task<IReadOnlyList<RowCount>> CountAsync(Postgres.TargetServer server, string database, IReadOnlyList<ManifestTable> tables,
        int sessions, CancellationToken cancellationToken)
    {
        var counts = new RowCount[tables.Count];
        var next = -1;
        async Task CountSomeAsync()
        {
            await using var connection = await OpenWithoutJitAsync(server, database, cancellationToken);
            for (int i; (i = Interlocked.Increment(ref next)) < tables.Count;)
                counts[i] = await RowCountComparison.CountAsync(connection, tables[i], cancellationToken);
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Clamp(sessions, 1, Math.Max(1, tables.Count))).Select(_ => CountSomeAsync()));
        return counts;
    }

    /// <summary>
    /// A session on the scratch database without PostgreSQL's JIT: the catalog lookups of a drill are quick, but their
    /// cost estimates pass jit_above_cost, and compiling them took 3.3 s of a 0.1 s query on a small database.
    /// </summary>
    static async Task<NpgsqlConnection> OpenWithoutJitAsync(Postgres.TargetServer server, string database, CancellationToken cancellationToken)
    {
        var connection = server.Connect(database, commandTimeout: 0);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var jit = new NpgsqlCommand("SET jit = off", connection);
            await jit.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    static string Summary(ArtifactKey key, string code, IReadOnlyList<string> failures)
    {
        var what = code switch
        {
            VerificationErrorCodes.RowCountMismatch => "the restored rows differ from the rows counted in the dump's snapshot",
            VerificationErrorCodes.ObjectMissing => "objects of the archive are missing after the restore",
            VerificationErrorCodes.SequenceMismatch => "sequences are not at their dumped values",
            _ => "the source's own checks failed on the restored data",
        };
        var shown = string.Join("; ", failures.Take(10)) + (failures.Count > 10 ? $"; and {failures.Count - 10} more" : "");
        return $"The restore drill of {key} restored it, but {what}: {shown}. Do not rely on this backup until the cause is found.";
    }

    static string Code(RecoveryErrorCode code) => code switch
    {
        RecoveryErrorCode.ArtifactNotFound or RecoveryErrorCode.ManifestMissing => VerificationErrorCodes.ArtifactNotFound,
        RecoveryErrorCode.IntegrityCheckFailed => VerificationErrorCodes.IntegrityCheckFailed,
        RecoveryErrorCode.DecryptionFailed => VerificationErrorCodes.DecryptionFailed,
        RecoveryErrorCode.ConnectionFailed => VerificationErrorCodes.ConnectionFailed,
        RecoveryErrorCode.RowCountMismatch => VerificationErrorCodes.RowCountMismatch,
        _ => VerificationErrorCodes.RestoreFailed,
    };

    static string Why(Exception e) => e is PostgresException postgres ? postgres.MessageText : e.Message;
}
