using System.Security.Cryptography;
using Backup.Database;
using Backup.Database.Security;
using Backup.Migrator;
using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// One test's private world on the shared real infrastructure: its own RabbitMQ virtual host, its own catalog
/// database (migrated), its own seeded source database ("demo", the schema of deploy/demo/demo-source.sql), its own
/// artifact store folder and SMTP server. Services are started in-process through the same AddServiceDefaults() and
/// Add&lt;Service&gt;() calls as their Program.cs, on configuration like the stack's.
/// </summary>
public sealed class BackupSystem : IAsyncDisposable
{
    readonly TestInfrastructure infrastructure;
    readonly BrokerEndpoint? broker;
    readonly string id = Guid.NewGuid().ToString("N")[..12];
    readonly List<WebApplication> running = [];

    BackupSystem(TestInfrastructure infrastructure, BrokerEndpoint? broker)
    {
        this.infrastructure = infrastructure;
        this.broker = broker;
        serviceRoles = CatalogGrants.ByService.Keys.ToDictionary(service => service, service => $"backup_{service.ToLowerInvariant()}_{id}",
            StringComparer.OrdinalIgnoreCase);
    }

    public string VirtualHost { get; private set; } = "";
    public string CatalogDatabase => $"catalog_{id}";
    public string SourceDatabase => $"source_{id}";
    public string SourceRole => $"source_{id}";
    public string SourcePassword { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    public string StoreRoot { get; } = Directory.CreateTempSubdirectory("backup-store-").FullName;
    public SmtpSink Mail { get; } = new();
    public PostgresEndpoint Postgres => infrastructure.Postgres;

    /// <summary>The second server, with none of this system's roles (<see cref="TestInfrastructure.BarePostgres"/>).</summary>
    public PostgresEndpoint BarePostgres => infrastructure.BarePostgres;

    /// <summary>A role of the source's server only, granted to read the source (<see cref="GrantToAReaderAsync"/>).</summary>
    public string ReaderRole => $"reader_{id}";
    /// <summary>The shared broker, or the one given to <see cref="CreateAsync"/> (a cluster's, see <see cref="BrokerCluster"/>).</summary>
    public BrokerEndpoint Broker => broker ?? infrastructure.Broker;
    /// <summary>The catalog as its owner, the role the migrator runs as (and the tests read and seed it as).</summary>
    public string CatalogConnectionString => Postgres.ConnectionString(CatalogDatabase);

    /// <summary>
    /// Each service's own login role on the catalog (this system's, as the DBA creates them in a deployment), granted
    /// by the migrator's step exactly its rows of <see cref="CatalogGrants"/>: every service a test starts connects
    /// as its role, so every scenario shows the grants suffice.
    /// </summary>
    public IReadOnlyDictionary<string, string> ServiceRoles => serviceRoles;

    readonly Dictionary<string, string> serviceRoles;
    readonly string serviceRolePassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The catalog as <paramref name="service"/>'s role (a key of <see cref="CatalogGrants.ByService"/>).</summary>
    public string ServiceConnectionString(string service) =>
        Postgres.ConnectionString(CatalogDatabase, serviceRoles[service], serviceRolePassword);

    public static readonly string[] Administrators = ["ops@example.com", "dba@example.com"];

    /// <param name="runMigrator">
    /// Whether the migrator's step runs, as it does before any service starts in a deployment: the catalog migrated
    /// and every service's exchanges, queues and bindings declared. Without it the catalog is migrated and the virtual
    /// host left empty, as a broker nothing has declared anything on yet.
    /// </param>
    /// <param name="broker">Another broker than the shared one (a <see cref="BrokerCluster"/>'s); with Hosts, the services get RabbitMq:Hosts.</param>
    public static async Task<BackupSystem> CreateAsync(TestInfrastructure infrastructure, bool runMigrator = true, BrokerEndpoint? broker = null)
    {
        var system = new BackupSystem(infrastructure, broker);
        system.VirtualHost = await system.Broker.CreateVirtualHostAsync();
        await system.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE \"{system.CatalogDatabase}\"");
        await system.CreateServiceRolesAsync();
        if (runMigrator) await system.RunMigratorAsync();
        else await system.MigrateCatalogAsync();
        await system.CreateSourceAsync();
        return system;
    }

    /// <summary>The migrator (its own composition, in process) on this system's catalog database and virtual host.</summary>
    public async Task RunMigratorAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "Backup.Migrator",
            EnvironmentName = "Development", // as the local stack runs it: its container is validated on build
        });
        builder.Configuration.AddInMemoryCollection(Configuration("Backup.Migrator"));
        builder.AddServiceDefaults();
        builder.AddMigrator();
        using var host = builder.Build();
        await host.RunMigratorAsync();
    }

    const string Migrator = "Backup.Migrator";

    /// <summary>
    /// The configuration of <paramref name="applicationName"/> (Backup.Dumper, …): <see cref="Configuration()"/> with the
    /// service's own broker user of deploy/rabbitmq/permissions.tsv and the catalog's connection string of its own role
    /// (<see cref="ServiceRoles"/>), as a deployment gives each service; for the migrator, the owner's, and the roles it
    /// grants (Migrator:ServiceRoles).
    /// </summary>
    public Dictionary<string, string?> Configuration(string applicationName)
    {
        var settings = Configuration();
        settings["RabbitMq:Username"] = BrokerPermission.UserOf(applicationName);
        settings["RabbitMq:Password"] = ServiceBrokerUsers.Password;
        if (applicationName == Migrator)
            foreach (var (service, role) in serviceRoles) settings[$"Migrator:ServiceRoles:{service}"] = role;
        else
            settings["ConnectionStrings:Catalog"] = ServiceConnectionString(ServiceOf(applicationName));
        return settings;
    }

    static string ServiceOf(string applicationName) =>
        applicationName.StartsWith("Backup.", StringComparison.Ordinal) && CatalogGrants.ByService.ContainsKey(applicationName["Backup.".Length..])
            ? applicationName["Backup.".Length..]
            : throw new ArgumentException($"'{applicationName}' is not one of the services (Backup.Dumper, …) nor {Migrator}.", nameof(applicationName));

    /// <summary>The configuration every service of this system gets, with the broker's administrator and the catalog's owner; each reads what it needs.</summary>
    public Dictionary<string, string?> Configuration()
    {
        var settings = BaseConfiguration();
        if (Broker.Hosts is { } nodes) settings["RabbitMq:Hosts"] = nodes;
        return settings;
    }

    Dictionary<string, string?> BaseConfiguration() => new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["RabbitMq:Host"] = Broker.Host,
        ["RabbitMq:Port"] = Broker.Port.ToString(),
        ["RabbitMq:VirtualHost"] = VirtualHost,
        ["RabbitMq:Username"] = Broker.Username,
        ["RabbitMq:Password"] = Broker.Password,
        ["ConnectionStrings:Catalog"] = CatalogConnectionString,
        ["Storage:Root"] = StoreRoot,
        ["Dumper:PgBinDirectory"] = Postgres.BinDirectory,
        ["Sources:demo:Host"] = Postgres.Host,
        ["Sources:demo:Port"] = Postgres.Port.ToString(),
        ["Sources:demo:Database"] = SourceDatabase,
        ["Sources:demo:Username"] = SourceRole,
        ["Sources:demo:Password"] = SourcePassword,
        ["Sources:demo:IncludeSchemas:0"] = "public",
        ["Sources:demo:IncludeSchemas:1"] = "billing",
        ["Sources:demo:ExcludeTables:0"] = "public.audit_log",
        ["Sources:demo:ExcludeTables:1"] = "public.sessions",
        ["Notifier:Administrators:0"] = Administrators[0],
        ["Notifier:Administrators:1"] = Administrators[1],
        ["Notifier:From"] = "backup@example.com",
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = Mail.Port.ToString(),
        ["Smtp:Security"] = "None",
        // The restorer restores into the test PostgreSQL as its superuser (as the local stack does).
        ["Restore:Host"] = Postgres.Host,
        ["Restore:Port"] = Postgres.Port.ToString(),
        ["Restore:Username"] = Postgres.Username,
        ["Restore:Password"] = Postgres.Password,
        ["Restore:PgBinDirectory"] = Postgres.BinDirectory,
        // Restore drills are on by default in production; here only the tests about drills turn them on (Drills/).
        ["Drills:Enabled"] = "false",
    };

    /// <summary>Starts a service and waits until its /health/ready says the broker (and database) are there.</summary>
    public async Task<WebApplication> StartAsync(string applicationName, Action<IHostApplicationBuilder> addService,
        Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var app = Build(applicationName, addService, configure, services);
        await app.StartAsync();
        running.Add(app);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        await Eventually.True(async () => (await http.GetAsync(BackupHostDefaults.ReadyPath)).IsSuccessStatusCode,
            $"{applicationName} to report ready");
        return app;
    }

    public WebApplication Build(string applicationName, Action<IHostApplicationBuilder> addService,
        Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var settings = Configuration(applicationName);
        configure?.Invoke(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            EnvironmentName = "Testing",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        addService(builder);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    public CatalogDbContext Catalog()
    {
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        Backup.Database.CatalogDatabase.Configure(options, CatalogConnectionString);
        return new CatalogDbContext(options.Options);
    }

    public async Task<BackupRun?> RunAsync(Guid runId)
    {
        await using var catalog = Catalog();
        return await catalog.BackupRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId);
    }

    public Task<BackupRun> WaitForStateAsync(Guid runId, string state, TimeSpan? deadline = null) =>
        Eventually.Get(async () =>
        {
            var run = await RunAsync(runId);
            return run?.CurrentState == state ? run : null;
        }, $"run {runId} to reach {state}", deadline);

    /// <summary>
    /// Restores an artifact into a new database by running the README's stock-tools lines themselves (createdb, then
    /// zstd -dc "$ARTIFACT" | pg_restore … --dbname="$TARGET"), on the source's server or on <paramref name="server"/>
    /// (<see cref="BarePostgres"/>), and returns the database's name.
    /// </summary>
    public async Task<string> RestoreAsync(string artifactPath, GpgHome? gpg = null, PostgresEndpoint? server = null)
    {
        server ??= Postgres;
        var database = server == Postgres ? $"restored_{id}_{Guid.NewGuid():N}"[..40] : NewBareDatabaseName();
        if (server == Postgres) restored.Add(database);
        await server.ExecuteAsync("postgres", $"CREATE DATABASE \"{database}\"");
        if (gpg is null)
            await PgTools.RunReadmeRestoreLineAsync(server, artifactPath, database);
        else
            await PgTools.RunReadmeRestoreLineAsync(server, artifactPath, database, "gpg --decrypt \"$ARTIFACT\"",
                new Dictionary<string, string> { ["GNUPGHOME"] = gpg.Directory });
        return database;
    }

    readonly List<string> restored = [];
    readonly List<string> restoredOnBare = [];

    /// <summary>A fresh name for a database a test restores into on <see cref="BarePostgres"/>; dropped there when the system is disposed.</summary>
    public string NewBareDatabaseName()
    {
        var name = $"bare_{id}_{restoredOnBare.Count}";
        restoredOnBare.Add(name);
        return name;
    }

    /// <summary>
    /// Makes the source as platforms keep it: besides its owner (<see cref="SourceRole"/>, not a superuser), a reporting
    /// role of the source's server only (<see cref="ReaderRole"/>) may read it (GRANT USAGE ON SCHEMA billing, SELECT on
    /// every table). Its archive then names both roles, which <see cref="BarePostgres"/> lacks.
    /// </summary>
    public async Task GrantToAReaderAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE ROLE \"{ReaderRole}\" NOLOGIN");
        grantedToAReader = true;
        await using var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString(SourceDatabase, SourceRole, SourcePassword));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"GRANT USAGE ON SCHEMA billing TO \"{ReaderRole}\"; GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO \"{ReaderRole}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    bool grantedToAReader;

    /// <summary>A fresh name for a database a test restores into (or creates); dropped when the system is disposed.</summary>
    public string NewDatabaseName() => DropAtEnd($"restored_{id}_{restored.Count}");

    /// <summary>Drops <paramref name="database"/> when the system is disposed, if it exists by then.</summary>
    public string DropAtEnd(string database)
    {
        restored.Add(database);
        return database;
    }

    /// <summary>The catalog's half of the migrator's step: its migrations and the service roles' grants.</summary>
    async Task MigrateCatalogAsync()
    {
        await using var catalog = Catalog();
        await catalog.Database.MigrateAsync();
        await using var owner = new Npgsql.NpgsqlConnection(CatalogConnectionString);
        await owner.OpenAsync();
        await CatalogRoleGrants.ApplyAsync(owner, serviceRoles, CancellationToken.None);
    }

    async Task CreateServiceRolesAsync()
    {
        foreach (var role in serviceRoles.Values)
            await Postgres.ExecuteAsync("postgres", $"CREATE ROLE \"{role}\" LOGIN PASSWORD '{serviceRolePassword}'");
    }

    async Task CreateSourceAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE ROLE \"{SourceRole}\" LOGIN PASSWORD '{SourcePassword}'");
        await Postgres.ExecuteAsync("postgres", $"CREATE DATABASE \"{SourceDatabase}\" OWNER \"{SourceRole}\"");
        var seed = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "demo", "demo-source.sql"));
        await using var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString(SourceDatabase, SourceRole, SourcePassword));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(seed, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(running))
        {
            try { await app.StopAsync(); } catch (OperationCanceledException) { }
            await app.DisposeAsync();
        }
        await Mail.DisposeAsync();
        if (broker is null) await Broker.DeleteVirtualHostAsync(VirtualHost); // a broker of the test's own goes away whole
        foreach (var database in restored.Append(CatalogDatabase).Append(SourceDatabase))
            await Postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        foreach (var database in restoredOnBare)
            await BarePostgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        if (grantedToAReader) await Postgres.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS \"{ReaderRole}\"");
        await Postgres.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS \"{SourceRole}\"");
        foreach (var role in serviceRoles.Values) await Postgres.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS \"{role}\"");
        Directory.Delete(StoreRoot, recursive: true);
    }
}
