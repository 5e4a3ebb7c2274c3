using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>deploy/compose/postgres-init: what the postgres container runs on its first start.</summary>
public sealed partial class The_postgres_init_scripts
{
    private const string InitFolder = "deploy/compose/postgres-init";
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly ComposeService Postgres = Compose.Service("postgres")!;

    private static IReadOnlyList<string> Scripts =>
        Directory.Exists(Repository.PathOf(InitFolder))
            ? Directory.GetFiles(Repository.PathOf(InitFolder)).Where(file => file.EndsWith(".sh", StringComparison.Ordinal) || file.EndsWith(".sql", StringComparison.Ordinal)).Order().ToList()
            : [];

    private static string AllScripts => string.Join('\n', Scripts.Select(File.ReadAllText));

    [Fact]
    public void Exist_and_are_mounted_where_the_postgres_image_runs_them()
    {
        Assert.NotEmpty(Scripts);
        Assert.Contains(Postgres.Volumes, volume =>
            Compose.FullPath(volume.Source) == Repository.PathOf(InitFolder) && volume.Target == "/docker-entrypoint-initdb.d");
    }

    [Fact]
    public void Seed_demo_app_from_the_mounted_demo_source_sql()
    {
        var mount = Postgres.Volumes.SingleOrDefault(volume => Compose.FullPath(volume.Source) == Repository.PathOf("deploy/demo/demo-source.sql"));
        Assert.NotNull(mount);
        Assert.False(mount.Target.StartsWith("/docker-entrypoint-initdb.d", StringComparison.Ordinal), "the image would run it in the wrong database");
        Assert.Contains(mount.Target, AllScripts, StringComparison.Ordinal);
        Assert.Contains("demo_app", AllScripts, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_the_catalog_database_and_the_read_only_backup_role()
    {
        Assert.Matches(@"CREATE ROLE backup_catalog LOGIN", AllScripts);
        Assert.Matches(@"CREATE DATABASE backup_catalog OWNER backup_catalog", AllScripts);
        Assert.Matches(@"CREATE ROLE demo_backup LOGIN", AllScripts);
        Assert.Matches(@"GRANT USAGE ON SCHEMA public, billing TO demo_backup", AllScripts);
        Assert.Matches(@"GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO demo_backup", AllScripts);
        Assert.Matches(@"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, billing TO demo_backup", AllScripts);
        Assert.DoesNotMatch(@"(?i)GRANT\s+(ALL|INSERT|UPDATE|DELETE)[^;]*TO demo_backup", AllScripts);
    }

    [Fact]
    public void Create_the_services_catalog_roles_from_the_one_list_each_with_its_own_mounted_password()
    {
        var mount = Postgres.Volumes.SingleOrDefault(volume => Compose.FullPath(volume.Source) == Repository.PathOf(CatalogRoles.File));
        Assert.NotNull(mount);
        Assert.Contains($"\"${{CATALOG_ROLES_FILE:-{mount.Target}}}\"", AllScripts, StringComparison.Ordinal);
        var mounted = Postgres.Secrets.Select(secret => secret.Target).ToHashSet();
        Assert.All(CatalogRoles.Rows, row => Assert.Contains($"catalog_{row.ShortName}_db_password", mounted));
    }

    [Fact]
    public void Read_only_secrets_mounted_into_the_postgres_container()
    {
        var mounted = Postgres.Secrets.Select(secret => secret.Target).ToHashSet();
        var read = SecretFileReference().Matches(AllScripts).Select(match => match.Groups["name"].Value).Distinct().ToList();
        Assert.NotEmpty(read);
        Assert.All(read, name => Assert.Contains(name, mounted));
    }

    [Fact]
    public void Never_print_a_password()
    {
        Assert.DoesNotMatch(@"(?m)^\s*set\s+-[a-zA-Z]*x", AllScripts);
        Assert.DoesNotMatch(@"(?i)(echo|printf)[^\n]*(password|secrets)[^\n]*\$\(", AllScripts);
        Assert.DoesNotMatch(@"--(set|variable)[= ]\w*password=\$\(", AllScripts);
    }

    [Fact]
    public void Shell_scripts_are_executable()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no Unix modes to check on this file system
        }

        var notExecutable = new List<string>();
        foreach (var script in Scripts.Where(file => file.EndsWith(".sh", StringComparison.Ordinal)))
        {
            if (!File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute))
            {
                notExecutable.Add(Path.GetFileName(script)); // the image would source it instead of running it
            }
        }

        Expect.NoViolations(notExecutable);
    }

    [Fact]
    public void The_server_uses_the_generated_superuser_password_file()
    {
        var passwordFile = Postgres.Environment.GetValueOrDefault("POSTGRES_PASSWORD_FILE");
        Assert.NotNull(passwordFile);
        Assert.False(Postgres.Environment.ContainsKey("POSTGRES_PASSWORD"));
        Assert.Contains(Postgres.Secrets, secret => "/run/secrets/" + secret.Target == passwordFile);
    }

    [GeneratedRegex(@"(/run/secrets|\$secrets_dir|\$\{secrets_dir\})/(?<name>[A-Za-z0-9_.-]+)")]
    private static partial Regex SecretFileReference();
}

/// <summary>deploy/compose/drill-postgres-init: the drill server's role, made on its first start.</summary>
public sealed class The_drill_server
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly string Script = File.ReadAllText(Repository.PathOf("deploy/compose/drill-postgres-init/10-drill-role.sh"));

    [Fact]
    public void Creates_a_createdb_role_only_and_reads_its_password_from_a_mounted_secret()
    {
        var server = Compose.Service("drill-postgres")!;
        Assert.Contains(server.Volumes, volume =>
            Compose.FullPath(volume.Source) == Repository.PathOf("deploy/compose/drill-postgres-init") && volume.Target == "/docker-entrypoint-initdb.d");
        Assert.Matches(@"CREATE ROLE backup_drill LOGIN CREATEDB PASSWORD %L", Script);
        Assert.DoesNotMatch(@"(?i)SUPERUSER(?<!NOSUPERUSER)\b|GRANT ", Script);
        Assert.Contains("drill_db_password", server.Secrets.Select(secret => secret.Target));
    }

    [Fact]
    public void Is_where_the_restorer_drills_as_that_role_with_the_same_password()
    {
        var restorer = Compose.Service("restorer")!;
        Assert.Equal("drill-postgres", restorer.Environment["Drills__Host"]);
        Assert.Equal("backup_drill", restorer.Environment["Drills__Username"]);
        Assert.Contains(restorer.Secrets, secret => secret.Source == "drill_db_password" && secret.Target == "Drills__Password");
    }
}
