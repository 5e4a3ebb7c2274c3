using System.Globalization;
using Npgsql;

namespace Backup.Recovery.Drills;

/// <summary>
/// Runs a source's own checks on the restored data: each in a read-only transaction with a statement timeout, rolled
/// back afterwards; it passes when its first row's first column is true. The queries come from the operator's
/// configuration, never from a message.
/// </summary>
public static class DrillCheckRunner
{
    public static async Task<IReadOnlyList<DrillCheckResult>> RunAsync(NpgsqlConnection restored, IReadOnlyList<DrillCheckQuery> checks,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = new List<DrillCheckResult>();
        foreach (var check in checks)
            results.Add(await RunAsync(restored, check, timeout, cancellationToken));
        return results;
    }

    static async Task<DrillCheckResult> RunAsync(NpgsqlConnection restored, DrillCheckQuery check, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        // Never committed: disposing it rolls back whatever the check did.
        await using var transaction = await restored.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        try
        {
            await using (var readOnly = new NpgsqlCommand(
                $"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(long)timeout.TotalMilliseconds}", restored, transaction))
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            await using var command = new NpgsqlCommand(check.Sql, restored, transaction) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return new DrillCheckResult(check.Name, false, "returned no row (it must return one row whose first column is true)");
            var value = reader.IsDBNull(0) ? null : reader.GetValue(0);
            return value is true
                ? new DrillCheckResult(check.Name, true, null)
                : new DrillCheckResult(check.Name, false, value is bool
                    ? "returned false"
                    : $"returned {(value is null ? "NULL" : Convert.ToString(value, CultureInfo.InvariantCulture))} (it must return true)");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.QueryCanceled && !cancellationToken.IsCancellationRequested)
        {
            return new DrillCheckResult(check.Name, false, $"did not finish within its statement timeout of {timeout.TotalSeconds:0.###} s");
        }
        catch (PostgresException e)
        {
            return new DrillCheckResult(check.Name, false, $"failed: {e.MessageText}");
        }
    }
}
