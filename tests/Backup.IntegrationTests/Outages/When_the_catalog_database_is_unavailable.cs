using System.Net.Sockets;
using Backup.Database;
using Backup.Database.Outages;
using Backup.IntegrationTests.Infrastructure;
using Backup.Notifier.Mail;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.IntegrationTests.Outages;

/// <summary>
/// <see cref="CatalogOutage"/> on the faults the real server and Npgsql raise: a database refusing connections
/// (55000), a session terminated (57P01), a server nothing listens on; through EF Core's wrappers too. Faults that
/// are no outage (a unique violation, a mail server's socket fault) are not taken for one. And the default
/// CatalogOutage:RideOut waits out at least ten minutes, well inside RabbitMQ's consumer timeout.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_catalog_database_is_unavailable(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly string database = $"outage_{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        await infrastructure.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE \"{database}\"");
        await infrastructure.Postgres.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    }

    public async Task DisposeAsync() =>
        await infrastructure.Postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");

    [Fact]
    public async Task A_database_refusing_connections_is_an_outage_directly_and_through_EF_Core()
    {
        await infrastructure.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false");
        try
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => infrastructure.Postgres.ExecuteAsync(database, "SELECT 1"));
            Assert.Equal("55000", refused.SqlState);
            Assert.True(CatalogOutage.IsUnavailable(refused));

            var options = new DbContextOptionsBuilder<CatalogDbContext>();
            CatalogDatabase.Configure(options, infrastructure.Postgres.ConnectionString(database));
            await using var catalog = new CatalogDbContext(options.Options);
            var throughEf = await Assert.ThrowsAnyAsync<Exception>(() => catalog.BackupRuns.CountAsync());
            Assert.True(CatalogOutage.IsUnavailable(throughEf), throughEf.ToString());
            var wrapped = new Microsoft.EntityFrameworkCore.DbUpdateException("An error occurred while saving the entity changes.", refused);
            Assert.True(CatalogOutage.IsUnavailable(wrapped));
        }
        finally
        {
            await infrastructure.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true");
        }
    }

    [Fact]
    public async Task A_terminated_session_and_a_server_that_does_not_answer_are_outages()
    {
        await using var connection = new NpgsqlConnection(infrastructure.Postgres.ConnectionString(database));
        await connection.OpenAsync();
        await infrastructure.Postgres.ExecuteAsync("postgres", $"SELECT pg_terminate_backend({connection.ProcessID})");
        await using (var command = new NpgsqlCommand("SELECT 1", connection))
            Assert.True(CatalogOutage.IsUnavailable(await Assert.ThrowsAnyAsync<NpgsqlException>(() => command.ExecuteScalarAsync())));

        var nobody = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = 1, Database = "x", Username = "x", Password = "y", Timeout = 2 };
        await using var unreachable = new NpgsqlConnection(nobody.ConnectionString);
        Assert.True(CatalogOutage.IsUnavailable(await Assert.ThrowsAnyAsync<NpgsqlException>(() => unreachable.OpenAsync())));
    }

    [Fact]
    public async Task A_unique_violation_and_a_mail_servers_socket_fault_are_not_outages()
    {
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => infrastructure.Postgres.ExecuteAsync(database, "INSERT INTO t VALUES (1)"));
        Assert.Equal("23505", duplicate.SqlState);
        Assert.False(CatalogOutage.IsUnavailable(duplicate));
        Assert.False(CatalogOutage.IsUnavailable(new MailServerUnreachableException("smtp", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.False(CatalogOutage.IsUnavailable(new TimeoutException()));
    }

    [Fact]
    public void The_default_ride_out_waits_out_ten_minutes_and_more_within_the_consumer_timeout()
    {
        var rideOut = new CatalogOutageOptions().RideOut;
        var delays = CatalogOutage.Delays(rideOut);

        Assert.Equal(rideOut, delays.Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay));
        Assert.True(rideOut >= TimeSpan.FromMinutes(10) && rideOut < TimeSpan.FromMinutes(30), $"ride-out {rideOut}");
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], delays.Take(7).Select(d => d.TotalSeconds));
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.FromTicks(1), CatalogOutage.LongestDelay));
    }
}
