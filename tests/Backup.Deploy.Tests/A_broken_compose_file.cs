using Backup.Deploy.Tests.Compose;
using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests;

/// <summary>
/// Each rule the real file passes must also fail when the file is wrong: these take docker-compose.yml, break one
/// thing, and expect the rule to say so.
/// </summary>
public sealed class A_broken_compose_file
{
    private static readonly string Original = Repository.ReadText("docker-compose.yml");

    private static ComposeFile Broken(string replace, string with, int occurrence = 1)
    {
        var index = -1;
        for (var found = 0; found < occurrence; found++)
        {
            index = Original.IndexOf(replace, index + 1, StringComparison.Ordinal);
            Assert.True(index >= 0, $"docker-compose.yml no longer contains \"{replace}\" (occurrence {occurrence}); update this test");
        }

        var text = string.Concat(Original.AsSpan(0, index), with, Original.AsSpan(index + replace.Length));
        return ComposeFile.Parse(text, Repository.Root);
    }

    private static void Reported(IEnumerable<string> violations, string expected)
    {
        var list = violations.ToList();
        Assert.True(list.Any(violation => violation.Contains(expected, StringComparison.Ordinal)),
            $"expected a violation containing \"{expected}\", got: [{string.Join(" | ", list)}]");
    }

    [Fact]
    public void Is_reported_when_a_service_loses_its_healthcheck() =>
        Reported(ComposeRules.Healthchecks(Broken("test: [\"CMD\", \"/mailpit\", \"readyz\"]", "test: [\"NONE\"]")), "mailpit: healthcheck is disabled");

    [Fact]
    public void Is_reported_when_the_shared_healthcheck_is_dropped() =>
        Reported(ComposeRules.Healthchecks(Broken("  healthcheck:\n    test: [\"CMD\", \"curl\"", "  x-old:\n    test: [\"CMD\", \"curl\"")), "dumper: long-running but has no healthcheck");

    [Fact]
    public void Is_reported_when_the_one_shot_step_loses_its_restart_policy()
    {
        var compose = Broken("    restart: \"no\"\n", "", occurrence: 2); // the first is minio-bucket's
        Reported(ComposeRules.RestartPolicies(compose), "migrator: states no restart policy");
        Reported(ComposeRules.Healthchecks(compose), "migrator: long-running but has no healthcheck");
    }

    [Fact]
    public void Is_reported_when_a_build_names_a_missing_project() =>
        Reported(ComposeRules.Builds(Broken("SERVICE: Backup.Dumper", "SERVICE: Backup.Dumpr")), "services/Backup.Dumpr/Backup.Dumpr.csproj does not exist");

    [Fact]
    public void Is_reported_when_a_build_names_a_missing_dockerfile() =>
        Reported(ComposeRules.Builds(Broken("dockerfile: deploy/docker/Service.Dockerfile", "dockerfile: deploy/docker/Missing.Dockerfile", occurrence: 3)), "dockerfile deploy/docker/Missing.Dockerfile does not exist");

    [Fact]
    public void Is_reported_when_a_probed_service_is_not_a_web_project() =>
        Reported(ComposeRules.Builds(Broken("SERVICE: Backup.Scheduler", "SERVICE: Backup.Migrator")), "Backup.Migrator is not an ASP.NET Core");

    [Fact]
    public void Is_reported_when_a_service_runs_as_root() =>
        Reported(ComposeRules.Images(Broken("    restart: \"no\"\n", "    restart: \"no\"\n    user: root\n", occurrence: 2)), "migrator: user: root is root");

    [Fact]
    public void Is_reported_when_the_image_has_one_stage_and_no_user()
    {
        var service = ComposeFile.Load(Repository.PathOf("docker-compose.yml")).Service("dumper")!;
        var violations = ComposeRules.Image(service, Dockerfile.Parse("FROM mcr.microsoft.com/dotnet/sdk:10.0\nRUN dotnet publish -o /app\n")).ToList();
        Reported(violations, "1 stage(s)");
        Reported(violations, "runs as root (final stage USER is unset)");
        Reported(ComposeRules.Image(service, Dockerfile.Parse("FROM a AS build\nUSER app\nFROM b\nUSER 0:0\n")), "runs as root (final stage USER is 0:0)");
    }

    [Fact]
    public void Is_reported_when_a_service_starts_before_the_migrator_has_succeeded() =>
        Reported(ComposeRules.Dependencies(Broken("condition: service_completed_successfully", "condition: service_started")), "depends on the one-shot migrator with service_started");

    [Fact]
    public void Is_reported_when_a_service_does_not_wait_for_a_healthy_broker() =>
        Reported(ComposeRules.Dependencies(Broken("      rabbitmq:\n        condition: service_healthy", "      rabbitmq:\n        condition: service_started")), "depends on rabbitmq with service_started");

    [Fact]
    public void Is_reported_when_the_migrator_does_not_wait_for_the_broker_it_declares_the_topology_on() =>
        Reported(ComposeRules.Dependencies(Broken("      postgres:\n        condition: service_healthy\n      rabbitmq:\n        condition: service_healthy\n    environment:\n      OTEL_EXPORTER_OTLP_ENDPOINT",
            "      postgres:\n        condition: service_healthy\n    environment:\n      OTEL_EXPORTER_OTLP_ENDPOINT")),
            "migrator: must depend on rabbitmq with condition service_healthy");

    [Fact]
    public void Is_reported_when_a_catalog_database_user_does_not_wait_for_the_migrator() =>
        Reported(ComposeRules.Dependencies(Broken("      migrator:\n        condition: service_completed_successfully\n    environment:\n      <<: *dotnet-env\n      RabbitMq__Username: backup-catalog\n", "    environment:\n      <<: *dotnet-env\n      RabbitMq__Username: backup-catalog\n")), "catalog: uses the catalog database but does not wait for migrator");

    [Fact]
    public void Is_reported_when_the_dumper_loses_its_catalog_connection() =>
        Reported(ComposeRules.CatalogConnections(Broken(
            "      - source: catalog_dumper_connection_string # the dump jobs (claims, heartbeats, retry timers) live in the catalog database\n        target: ConnectionStrings__Catalog\n", "")),
            "dumper: Backup.Dumper uses the catalog database but gets no ConnectionStrings__Catalog secret");

    [Fact]
    public void Is_reported_when_a_password_is_put_in_the_environment()
    {
        Reported(ComposeRules.SecretsStayOutOfTheEnvironment(Broken("      Smtp__Host: mailpit\n", "      Smtp__Host: mailpit\n      Smtp__Password: hunter2\n")), "notifier: environment Smtp__Password looks like a secret");
        Reported(ComposeRules.SecretsStayOutOfTheEnvironment(Broken("      Smtp__Host: mailpit\n", "      Smtp__Host: mailpit\n      RabbitMq__Password:\n")), "notifier: environment RabbitMq__Password looks like a secret");
        Reported(ComposeRules.SecretsStayOutOfTheEnvironment(Broken("      Retention__MaxAge:", "      ConnectionStrings__Catalog: Host=postgres;Username=u;Password=p\n      Retention__MaxAge:")), "retention: environment ConnectionStrings__Catalog holds a credential in clear");
        Reported(ComposeRules.SecretsStayOutOfTheEnvironment(Broken("        SERVICE: Backup.Catalog\n", "        SERVICE: Backup.Catalog\n        NUGET_TOKEN: abc\n")), "catalog: build arg NUGET_TOKEN looks like a secret");
    }

    [Fact]
    public void Is_reported_when_a_secret_is_not_a_generated_file()
    {
        Reported(ComposeRules.SecretDeclarations(Broken("file: ./deploy/compose/secrets/postgres_password", "file: ./postgres_password")), "secret postgres_password: file ./postgres_password is not under deploy/compose/secrets/");
        Reported(ComposeRules.SecretDeclarations(Broken("  rabbitmq_conf:\n    file:", "  rabbitmq_config:\n    file:")), "rabbitmq: secret rabbitmq_conf is not declared");
        Reported(ComposeRules.SecretDeclarations(Broken("    file: ./deploy/compose/secrets/rabbitmq_dumper_password", "    environment: RABBITMQ_PASSWORD")), "secret rabbitmq_dumper_password: has no file:");
    }

    [Fact]
    public void Is_reported_when_a_secret_is_not_mounted_under_its_configuration_key() =>
        Reported(ComposeRules.SecretTargetsAreConfigurationKeys(Broken("target: RabbitMq__Password", "target: rabbitmq_password")), "migrator: secret rabbitmq_migrator_password is mounted as rabbitmq_password");

    [Fact]
    public void Is_reported_when_a_port_is_published_on_every_interface()
    {
        Reported(ComposeRules.PortsBindToLoopback(Broken("\"127.0.0.1:8025:8025\"", "\"8025:8025\"")), "mailpit: port 8025:8025");
        Reported(ComposeRules.PortsBindToLoopback(Broken("\"127.0.0.1:16686:16686\"", "\"16686\"")), "jaeger: port 16686");
    }

    [Fact]
    public void Is_reported_when_a_setting_names_a_host_that_is_not_a_service()
    {
        Reported(ComposeRules.HostNamesAreServices(Broken("Smtp__Host: mailpit", "Smtp__Host: localhost")), "notifier: Smtp__Host names localhost");
        Reported(ComposeRules.HostNamesAreServices(Broken("OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4317\n  OTEL", "OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4317\n  OTEL")), "OTEL_EXPORTER_OTLP_ENDPOINT names collector");
    }

    [Fact]
    public void Is_reported_when_the_artifact_store_is_split_or_not_mounted()
    {
        Reported(ComposeRules.ArtifactStore(Broken("        source: artifacts\n", "        source: pgdata\n")), "split across volumes");
        Reported(ComposeRules.ArtifactStore(Broken("      - artifacts:/var/lib/backup/artifacts\n", "", occurrence: 2)), "retention: Storage__Root is /var/lib/backup/artifacts, but no volume is mounted there");
    }

    [Fact]
    public void Is_reported_when_a_healthcheck_tool_is_not_installed() =>
        Reported(ComposeRules.HealthcheckToolsAreInstalled(Broken("APT_PACKAGES: curl postgresql-client-16", "APT_PACKAGES: postgresql-client-16")), "dumper: the healthcheck runs curl");

    [Fact]
    public void Is_reported_when_pg_dump_is_missing_or_older_than_the_server()
    {
        Reported(ComposeRules.PgDumpMatchesTheSource(Broken("image: postgres:16", "image: postgres:17")), "Sources__demo__Host is PostgreSQL 17, newer than its pg_dump 16");
        Reported(ComposeRules.PgDumpMatchesTheSource(Broken("Dumper__PgBinDirectory: /usr/lib/postgresql/16/bin", "Dumper__PgBinDirectory: /usr/lib/postgresql/15/bin")), "does not install postgresql-client-15");
    }

    [Fact]
    public void Is_reported_when_pg_restore_is_missing_or_older_than_pg_dump()
    {
        Reported(ComposeRules.PgRestoreReadsWhatPgDumpWrites(Broken("Restore__PgBinDirectory: /usr/lib/postgresql/16/bin", "Restore__PgBinDirectory: /usr/lib/postgresql/15/bin")),
            "restorer: looks for pg_restore in /usr/lib/postgresql/15/bin, but its image does not install postgresql-client-15");
        Reported(ComposeRules.PgRestoreReadsWhatPgDumpWrites(Broken("Restore__PgBinDirectory: /usr/lib/postgresql/16/bin", "Restore__PgBinDirectory: /usr/lib/postgresql/15/bin")),
            "restorer: its pg_restore 15 can't read the archives of dumper's pg_dump 16");
        Reported(ComposeRules.PgRestoreReadsWhatPgDumpWrites(Broken("Restore__PgBinDirectory: /usr/lib/postgresql/16/bin", "Restore__PgBinDirectory: /usr/bin")),
            "restorer: Restore__PgBinDirectory /usr/bin is not /usr/lib/postgresql/<major>/bin");
    }
}
