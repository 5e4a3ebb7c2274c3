using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// The real RabbitMQ and PostgreSQL the integration tests run against. deploy/local/test.sh starts throwaway
/// instances and exports BACKUP_RABBITMQ_*, BACKUP_PG_* and BACKUP_BARE_PG_*; without those, Testcontainers starts
/// them where a Docker engine answers. No in-memory transport and no fake database.
/// </summary>
public sealed class TestInfrastructure : IAsyncLifetime
{
    RabbitMqContainer? rabbitContainer;
    PostgreSqlContainer? postgresContainer;
    PostgreSqlContainer? barePostgresContainer;

    public BrokerEndpoint Broker { get; private set; } = null!;
    public PostgresEndpoint Postgres { get; private set; } = null!;

    /// <summary>
    /// A second PostgreSQL server whose only role is its superuser (dr_admin, not postgres), as a fresh
    /// disaster-recovery server is: none of the roles the tests create on <see cref="Postgres"/> exist there.
    /// </summary>
    public PostgresEndpoint BarePostgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var env = Environment.GetEnvironmentVariables();
        if (env.Contains("BACKUP_RABBITMQ_PORT") && env.Contains("BACKUP_PG_PORT"))
        {
            Broker = new BrokerEndpoint(Var("BACKUP_RABBITMQ_HOST"), int.Parse(Var("BACKUP_RABBITMQ_PORT")),
                int.Parse(Var("BACKUP_RABBITMQ_MANAGEMENT_PORT")), Var("BACKUP_RABBITMQ_USER"), Var("BACKUP_RABBITMQ_PASSWORD"))
            {
                TlsPort = int.TryParse(Environment.GetEnvironmentVariable("BACKUP_RABBITMQ_TLS_PORT"), out var tls) ? tls : null,
                CaFile = Environment.GetEnvironmentVariable("BACKUP_RABBITMQ_CA_FILE"),
            };
            Postgres = new PostgresEndpoint(Var("BACKUP_PG_HOST"), int.Parse(Var("BACKUP_PG_PORT")),
                Var("BACKUP_PG_USER"), Var("BACKUP_PG_PASSWORD"), Var("BACKUP_PG_BIN"));
            BarePostgres = new PostgresEndpoint(Var("BACKUP_BARE_PG_HOST"), int.Parse(Var("BACKUP_BARE_PG_PORT")),
                Var("BACKUP_BARE_PG_USER"), Var("BACKUP_BARE_PG_PASSWORD"), Var("BACKUP_PG_BIN"));
            return;
        }

        try
        {
            rabbitContainer = new RabbitMqBuilder("rabbitmq:3.13-management").WithPortBinding(15672, true).Build();
            postgresContainer = new PostgreSqlBuilder("postgres:15").Build();
            barePostgresContainer = new PostgreSqlBuilder("postgres:15").WithUsername("dr_admin").Build();
            await Task.WhenAll(rabbitContainer.StartAsync(), postgresContainer.StartAsync(), barePostgresContainer.StartAsync());
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                "No broker and database for the integration tests: run them with deploy/local/test.sh (it starts RabbitMQ " +
                "and PostgreSQL 15 without Docker), or on a host with a Docker engine for Testcontainers.", e);
        }
        var rabbit = new Uri(rabbitContainer.GetConnectionString());
        var credentials = Uri.UnescapeDataString(rabbit.UserInfo).Split(':', 2);
        Broker = new BrokerEndpoint(rabbitContainer.Hostname, rabbitContainer.GetMappedPublicPort(5672),
            rabbitContainer.GetMappedPublicPort(15672), credentials[0], credentials[1]);
        var pg = new NpgsqlConnectionStringBuilder(postgresContainer.GetConnectionString());
        Postgres = new PostgresEndpoint(pg.Host!, pg.Port, pg.Username!, pg.Password!,
            Environment.GetEnvironmentVariable("BACKUP_PG_BIN") ?? "/usr/lib/postgresql/15/bin");
        var bare = new NpgsqlConnectionStringBuilder(barePostgresContainer.GetConnectionString());
        BarePostgres = new PostgresEndpoint(bare.Host!, bare.Port, bare.Username!, bare.Password!, Postgres.BinDirectory);
    }

    /// <summary>
    /// Changes one of the running broker's timings (consumer_timeout or channel_tick_interval, in milliseconds);
    /// channels opened afterwards use it. Through deploy/local/infra.sh, or rabbitmqctl in the container.
    /// </summary>
    public async Task SetBrokerTimingAsync(string key, int milliseconds)
    {
        if (rabbitContainer is not null)
        {
            await ContainerRabbitMqCtlAsync("eval", $"application:set_env(rabbit, {key}, {milliseconds}).");
            return;
        }
        await InfraAsync("rabbitmq-set", key, milliseconds.ToString());
    }

    /// <summary>Stops the broker and starts it again (same node, ports and data): every connection is dropped.</summary>
    public async Task RestartBrokerAsync()
    {
        if (rabbitContainer is not null)
        {
            await ContainerRabbitMqCtlAsync("stop_app");
            await ContainerRabbitMqCtlAsync("start_app");
            return;
        }
        await InfraAsync("rabbitmq-stop");
        await InfraAsync("rabbitmq-start");
    }

    async Task ContainerRabbitMqCtlAsync(params string[] arguments)
    {
        var result = await rabbitContainer!.ExecAsync(["rabbitmqctl", .. arguments]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"rabbitmqctl {arguments[0]} failed: {result.Stderr}");
    }

    // deploy/local/infra.sh COMMAND BACKUP_INFRA_DIR [ARGS...], as the instance that deploy/local/test.sh started.
    static Task InfraAsync(string command, params string[] arguments) =>
        InfraScript.RunAsync(command, Var("BACKUP_INFRA_DIR"), arguments);

    public async Task DisposeAsync()
    {
        if (rabbitContainer is not null) await rabbitContainer.DisposeAsync();
        if (postgresContainer is not null) await postgresContainer.DisposeAsync();
        if (barePostgresContainer is not null) await barePostgresContainer.DisposeAsync();
    }

    static string Var(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException(
            $"{name} is not set: run the tests with deploy/local/test.sh (or with the variables of a current deploy/local/infra.sh instance's infra.env).");
}

public sealed record BrokerEndpoint(string Host, int Port, int ManagementPort, string Username, string Password)
{
    /// <summary>The broker's TLS (AMQPS) port and the PEM of the CA that signed its certificate (deploy/local/infra.sh makes both).</summary>
    public int? TlsPort { get; init; }

    public string? CaFile { get; init; }

    /// <summary>The nodes of a cluster, as RabbitMq:Hosts names them ("127.0.0.1:5672,…"); null for a single broker.</summary>
    public string? Hosts { get; init; }

    /// <summary>A fresh virtual host per test, so tests never see each other's exchanges, queues or messages.</summary>
    public async Task<string> CreateVirtualHostAsync()
    {
        var name = $"test-{Guid.NewGuid():N}";
        using var http = Management();
        (await http.PutAsync($"api/vhosts/{name}", null)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"api/permissions/{name}/{Uri.EscapeDataString(Username)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        await ServiceBrokerUsers.GrantAsync(this, name);
        return name;
    }

    public async Task DeleteVirtualHostAsync(string name)
    {
        using var http = Management();
        await http.DeleteAsync($"api/vhosts/{name}");
    }

    /// <summary>
    /// A user of <paramref name="virtualHost"/> that may do everything there except publish to the exchanges whose
    /// names match <paramref name="refusedExchanges"/> (a regular expression): its publishes there are refused.
    /// </summary>
    public async Task CreateUserRefusedPublishingAsync(string virtualHost, string user, string password, string refusedExchanges)
    {
        using var http = Management();
        (await http.PutAsJsonAsync($"api/users/{Uri.EscapeDataString(user)}", new { password, tags = "" })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(user)}",
            new { configure = ".*", write = $"^(?!{refusedExchanges}$).*", read = ".*" })).EnsureSuccessStatusCode();
    }

    public async Task DeleteUserAsync(string user)
    {
        using var http = Management();
        await http.DeleteAsync($"api/users/{Uri.EscapeDataString(user)}");
    }

    /// <summary>Messages in a queue, ready plus delivered and not yet acknowledged (the management API's "messages").</summary>
    public async Task<long> QueueDepthAsync(string virtualHost, string queue)
    {
        using var http = Management();
        var body = await http.GetFromJsonAsync<System.Text.Json.JsonElement>(
            $"api/queues/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(queue)}?disable_stats=false");
        return body.TryGetProperty("messages", out var messages) ? messages.GetInt64() : 0;
    }

    /// <summary>Every queue of <paramref name="virtualHost"/> with its messages (ready plus unacknowledged).</summary>
    public async Task<Dictionary<string, long>> QueueDepthsAsync(string virtualHost)
    {
        using var http = Management();
        var queues = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/queues/{Uri.EscapeDataString(virtualHost)}?disable_stats=false");
        return queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!,
            q => q.TryGetProperty("messages", out var messages) ? messages.GetInt64() : 0);
    }

    HttpClient Management() => ManagementClient();

    /// <summary>The management API as the broker's administrator.</summary>
    public HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{Host}:{ManagementPort}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        return http;
    }
}

public sealed record PostgresEndpoint(string Host, int Port, string Username, string Password, string BinDirectory)
{
    public string ConnectionString(string database, string? username = null, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Database = database,
            Username = username ?? Username, Password = password ?? Password, Pooling = false,
        }.ConnectionString;

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public Task<bool> DatabaseExistsAsync(string database) =>
        ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')");

    public Task<bool> RoleExistsAsync(string role) =>
        ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}')");
}

/// <summary>
/// The integration tests run in two lanes side by side (xunit runs collections in parallel, the classes of one collection
/// one at a time): each class builds a <see cref="BackupSystem"/> of its own (virtual host, catalog and source databases,
/// store folder, mail sink), so classes of different lanes share nothing but the broker and PostgreSQL servers. This is the
/// first lane; <see cref="SecondLaneCollection"/> holds the work pipeline's namespaces (Dumping, Notifying, Restoring,
/// Drills, Jobs, Outages, BadInput). A class that changes the broker itself (restarts it, changes its timings) or starts
/// services as processes of their own belongs in <see cref="AloneCollection"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<TestInfrastructure>
{
    public const string Name = "real broker and database";
}

/// <summary>The second lane of <see cref="SystemCollection"/>, run beside the first.</summary>
[CollectionDefinition(Name)]
public sealed class SecondLaneCollection : ICollectionFixture<TestInfrastructure>
{
    public const string Name = "real broker and database, second lane";
}

/// <summary>
/// Classes that change the shared broker for everyone (restart it, change consumer_timeout) or load the machine on their
/// own (services as processes of their own, a broker cluster): xunit runs them one at a time, after both lanes have finished.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection : ICollectionFixture<TestInfrastructure>
{
    public const string Name = "real broker and database, alone";
}
