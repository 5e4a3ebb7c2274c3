using Npgsql;

namespace Backup.Database.Outages;

/// <summary>
/// What "the catalog database is unavailable" looks like, and how long to wait between tries while it is. Shared by
/// every consumer that needs the catalog (<see cref="CatalogOutageRetry"/>) and by the job worker's settling of an outcome.
/// </summary>
public static class CatalogOutage
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True when <paramref name="fault"/> says the database can't be reached or won't take work now: the server
    /// refuses connections (55000 "database is not currently accepting connections", 57P03 starting up, 53300 too many
    /// connections), terminated our session (57P01, 57P02), a connection-class error (08xxx), or Npgsql could not
    /// connect or lost the connection (a socket, I/O or timeout fault). Also when EF Core wraps one of those
    /// (DbUpdateException, RetryLimitExceededException, InvalidOperationException). A fault of another kind (a
    /// constraint, a serialization conflict, a bad message) is not an outage, nor is a socket fault outside Npgsql
    /// (a mail server's).
    /// </summary>
    public static bool IsUnavailable(Exception fault) => fault switch
    {
        PostgresException postgres => IsUnavailableState(postgres.SqlState),
        NpgsqlException npgsql => npgsql.InnerException is { } inner
                                  && (inner is System.Net.Sockets.SocketException or IOException or TimeoutException || IsUnavailable(inner)),
        _ => fault.InnerException is { } wrapped && IsUnavailable(wrapped),
    };

    static bool IsUnavailableState(string state) =>
        state is "55000" or "57P01" or "57P02" or "57P03" or "53300" || state.StartsWith("08", StringComparison.Ordinal);

    /// <summary>
    /// The waits between tries over <paramref name="rideOut"/>: <see cref="FirstDelay"/>, doubling up to
    /// <see cref="LongestDelay"/>, the last one cut so that they add up to <paramref name="rideOut"/> exactly.
    /// </summary>
    public static IReadOnlyList<TimeSpan> Delays(TimeSpan rideOut)
    {
        var delays = new List<TimeSpan>();
        var total = TimeSpan.Zero;
        for (var next = FirstDelay; total < rideOut; next = TimeSpan.FromTicks(Math.Min(next.Ticks * 2, LongestDelay.Ticks)))
        {
            var delay = next < rideOut - total ? next : rideOut - total;
            delays.Add(delay);
            total += delay;
        }
        return delays;
    }
}
