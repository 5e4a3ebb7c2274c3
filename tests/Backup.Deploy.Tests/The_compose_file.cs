using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>docker-compose.yml at the repository root, checked by reading it: there is no Docker engine where these tests run.</summary>
public sealed class The_compose_file
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));

    [Fact]
    public void Runs_the_whole_system()
    {
        string[] expected = ["rabbitmq", "postgres", "drill-postgres", "mailpit", "jaeger", "otel-collector", "prometheus", "grafana", "minio", "minio-bucket", "admin-keys", "migrator", "scheduler", "dumper", "catalog", "notifier", "retention", "restorer", "api"];
        Assert.Equal(expected.Order(), Compose.Services.Select(service => service.Name).Order());
        Assert.False(Compose.Root.ContainsKey("version"), "the compose spec has no version: key");
    }

    [Fact]
    public void Only_the_migrator_the_bucket_creation_and_the_key_pair_are_one_shot_steps() =>
        Assert.Equal(["admin-keys", "migrator", "minio-bucket"], Compose.Services.Where(service => service.IsOneShot).Select(service => service.Name).Order());

    [Fact]
    public void Every_service_states_its_restart_policy() => Expect.NoViolations(ComposeRules.RestartPolicies(Compose));

    [Fact]
    public void Every_long_running_service_has_a_healthcheck() => Expect.NoViolations(ComposeRules.Healthchecks(Compose));

    [Fact]
    public void Every_dotnet_service_is_probed_on_its_readiness_endpoint()
    {
        var probes = ComposeRules.DotnetServices(Compose)
            .Where(service => !service.IsOneShot)
            .Where(service => !string.Join(' ', service.HealthcheckTest).Contains("http://localhost:8080/health/ready", StringComparison.Ordinal))
            .Select(service => $"{service.Name}: healthcheck {string.Join(' ', service.HealthcheckTest)}");
        Expect.NoViolations(probes);
    }

    [Fact]
    public void Every_build_names_an_existing_context_dockerfile_and_project() => Expect.NoViolations(ComposeRules.Builds(Compose));

    [Fact]
    public void Every_image_it_builds_has_separate_stages_and_runs_as_a_non_root_user() => Expect.NoViolations(ComposeRules.Images(Compose));

    [Fact]
    public void Every_dependency_waits_for_health_or_for_the_one_shot_step_to_succeed() => Expect.NoViolations(ComposeRules.Dependencies(Compose));

    [Fact]
    public void Every_service_that_uses_the_catalog_database_gets_its_connection() => Expect.NoViolations(ComposeRules.CatalogConnections(Compose));

    [Fact]
    public void No_secret_is_in_an_environment_variable_or_build_arg() => Expect.NoViolations(ComposeRules.SecretsStayOutOfTheEnvironment(Compose));

    [Fact]
    public void Every_secret_a_service_uses_is_declared_as_a_file_under_deploy_compose_secrets() =>
        Expect.NoViolations(ComposeRules.SecretDeclarations(Compose));

    [Fact]
    public void Every_dotnet_service_gets_its_secrets_under_their_configuration_keys() =>
        Expect.NoViolations(ComposeRules.SecretTargetsAreConfigurationKeys(Compose));

    [Fact]
    public void Every_host_port_is_bound_to_the_loopback_interface() => Expect.NoViolations(ComposeRules.PortsBindToLoopback(Compose));

    [Fact]
    public void Every_host_name_in_the_services_settings_is_a_service_of_the_file() => Expect.NoViolations(ComposeRules.HostNamesAreServices(Compose));

    [Fact]
    public void The_services_that_use_the_store_share_one_artifact_volume()
    {
        Expect.NoViolations(ComposeRules.ArtifactStore(Compose));
        var users = Compose.Services.Where(service => service.Environment.ContainsKey("Storage__Root")).Select(service => service.Name);
        Assert.Equal(["api", "dumper", "notifier", "restorer", "retention"], users.Order());
    }

    [Fact]
    public void The_store_users_can_be_switched_to_the_minio_bucket_with_its_keys_as_secrets()
    {
        var users = Compose.Services.Where(service => service.Environment.ContainsKey("Storage__Backend")).ToList();
        Assert.Equal(["api", "dumper", "notifier", "restorer", "retention"], users.Select(service => service.Name).Order());
        foreach (var service in users)
        {
            Assert.Equal("${BACKUP_STORAGE_BACKEND:-FileSystem}", service.Environment["Storage__Backend"]);
            Assert.Equal("http://minio:9000", service.Environment["Storage__S3__ServiceUrl"]);
            Assert.Equal("backups", service.Environment["Storage__S3__Bucket"]);
            Assert.Equal(["Storage__S3__AccessKey", "Storage__S3__SecretKey"],
                service.Secrets.Select(secret => secret.Target).Where(target => target.StartsWith("Storage__S3__", StringComparison.Ordinal)).Order());
            Assert.Equal("service_completed_successfully", service.DependsOn.GetValueOrDefault("minio-bucket"));
        }
    }

    [Fact]
    public void Minio_is_pinned_keeps_its_data_in_a_volume_and_takes_its_root_user_from_secret_files()
    {
        var minio = Compose.Service("minio")!;
        Assert.Matches(@"^minio/minio:RELEASE\.\d{4}-", minio.Image);
        Assert.Equal("/run/secrets/minio_access_key", minio.Environment["MINIO_ROOT_USER_FILE"]);
        Assert.Equal("/run/secrets/minio_secret_key", minio.Environment["MINIO_ROOT_PASSWORD_FILE"]);
        Assert.Contains(minio.Volumes, volume => volume.Source == "minio-data" && volume.Target == "/data");
        Assert.Equal(["CMD", "mc", "ready", "local"], minio.HealthcheckTest);

        var bucket = Compose.Service("minio-bucket")!;
        Assert.Matches(@"^minio/mc:RELEASE\.\d{4}-", bucket.Image);
        Assert.Equal("service_healthy", bucket.DependsOn["minio"]);
    }

    [Fact]
    public void Every_healthcheck_runs_a_program_its_image_installs() => Expect.NoViolations(ComposeRules.HealthcheckToolsAreInstalled(Compose));

    [Fact]
    public void The_dumpers_pg_dump_is_installed_and_not_older_than_the_server() => Expect.NoViolations(ComposeRules.PgDumpMatchesTheSource(Compose));

    /// <summary>
    /// NativeZstdCompression and NativeZstdDecompression load libzstd.so.1 (they would fall back to the slower managed
    /// port without it): the dumper compresses, the restorer decompresses.
    /// </summary>
    [Theory]
    [InlineData("Backup.Dumper")]
    [InlineData("Backup.Restorer")]
    public void The_image_installs_zstds_library(string service)
    {
        var image = ComposeRules.DotnetServices(Compose).Single(s => s.Build?.Args.GetValueOrDefault("SERVICE") == service);
        Assert.Contains("libzstd1", (image.Build!.Args.GetValueOrDefault("APT_PACKAGES") ?? "").Split(' '));
    }

    [Fact]
    public void The_restorers_pg_restore_is_installed_and_reads_what_the_dumpers_pg_dump_writes() =>
        Expect.NoViolations(ComposeRules.PgRestoreReadsWhatPgDumpWrites(Compose));

    [Fact]
    public void The_restorer_restores_into_postgres_as_a_role_that_is_not_the_superuser()
    {
        var restorer = Compose.Service("restorer")!;
        Assert.Equal("postgres", restorer.Environment["Restore__Host"]);
        Assert.NotEqual(Compose.Service("postgres")!.Environment["POSTGRES_USER"], restorer.Environment["Restore__Username"]);
        Assert.Contains(restorer.Secrets, secret => secret.Target == "Restore__Password");
        Assert.All(restorer.Volumes.Where(volume => volume.Source == "artifacts"), volume => Assert.True(volume.ReadOnly, "the restorer only reads artifacts"));
    }

    [Fact]
    public void The_demo_source_backs_up_public_and_billing_without_the_noisy_tables()
    {
        var dumper = Compose.Service("dumper")!.Environment;
        Assert.Equal("demo_app", dumper["Sources__demo__Database"]);
        Assert.Equal("demo_backup", dumper["Sources__demo__Username"]);
        Assert.Equal(["billing", "public"], dumper.Where(entry => entry.Key.StartsWith("Sources__demo__IncludeSchemas__", StringComparison.Ordinal)).Select(entry => entry.Value).Order());
        Assert.Equal(["public.audit_log", "public.sessions"], dumper.Where(entry => entry.Key.StartsWith("Sources__demo__ExcludeTables__", StringComparison.Ordinal)).Select(entry => entry.Value).Order());
        Assert.Contains(Compose.Service("dumper")!.Secrets, secret => secret.Target == "Sources__demo__Password");
    }

    [Fact]
    public void Encrypts_every_artifact_to_the_administrators_key_pair_made_on_the_first_start()
    {
        var keys = Compose.Service("admin-keys")!;
        Assert.Equal("tools", keys.Build!.Args["PROJECT_FOLDER"]);
        Assert.Equal("Backup.Ctl", keys.Build.Args["SERVICE"]);
        var command = string.Join(' ', Values.List(keys.Definition["entrypoint"]).Select(Values.Text));
        Assert.Contains("dotnet /app/backupctl.dll keys generate", command, StringComparison.Ordinal);
        Assert.Contains("--public-key-file /var/lib/backup/keys/public/administrators.asc", command, StringComparison.Ordinal);
        Assert.Contains("--secret-key-file /var/lib/backup/keys/secret/administrators.asc", command, StringComparison.Ordinal);
        Assert.Contains("test -s /var/lib/backup/keys/secret/administrators.asc ||", command, StringComparison.Ordinal); // once: kept afterwards

        var dumper = Compose.Service("dumper")!;
        Assert.Equal("true", dumper.Environment["Encryption__Required"]);
        Assert.Equal("/var/lib/backup/keys/public/administrators.asc", dumper.Environment["Encryption__RecipientKeyFiles__0"]);
        Assert.Contains(new VolumeMount("admin-public-key", "/var/lib/backup/keys/public", true), dumper.Volumes);
        Assert.DoesNotContain(Compose.Services.Where(service => service.Name != "admin-keys" && service.Name != "restorer"),
            service => service.Volumes.Any(volume => volume.Source == "admin-secret-key"));

        var restorer = Compose.Service("restorer")!;
        Assert.Equal("/var/lib/backup/keys/secret/administrators.asc", restorer.Environment["Restore__SecretKeyFile"]);
        Assert.Contains(new VolumeMount("admin-secret-key", "/var/lib/backup/keys/secret", true), restorer.Volumes);
        foreach (var user in new[] { dumper, restorer })
            Assert.Equal("service_completed_successfully", user.DependsOn["admin-keys"]);

        Assert.Equal("${BACKUP_REQUIRE_ENCRYPTED_ATTACHMENTS:-true}", Compose.Service("notifier")!.Environment["Notifier__RequireEncryptedAttachments"]);
        var image = Repository.ReadText("deploy/docker/Service.Dockerfile");
        Assert.Contains("chmod 0700 /var/lib/backup/keys/secret", image, StringComparison.Ordinal);
    }

    [Fact]
    public void The_notifier_sends_to_mailpit_without_tls()
    {
        var notifier = Compose.Service("notifier")!.Environment;
        Assert.Equal("mailpit", notifier["Smtp__Host"]);
        Assert.Equal("1025", notifier["Smtp__Port"]);
        Assert.Equal("None", notifier["Smtp__Security"]);
        Assert.False(string.IsNullOrEmpty(notifier.GetValueOrDefault("Notifier__Administrators__0")));
    }
}
