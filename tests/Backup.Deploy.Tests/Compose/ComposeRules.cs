using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests.Compose;

/// <summary>
/// What docker-compose.yml must get right, as checks that list every violation they find (empty: the file is right).
/// The compose stack can't run where these tests run, so reading it is the test.
/// </summary>
public static partial class ComposeRules
{
    /// <summary>Where generated secret files live, relative to the compose file.</summary>
    public const string SecretsFolder = "deploy/compose/secrets";

    /// <summary>
    /// Services built from this repository's .NET projects: a <c>build:</c> from the repository's root. (The collector's
    /// image, built from deploy/observability, is not one.)
    /// </summary>
    public static IEnumerable<ComposeService> DotnetServices(ComposeFile compose) =>
        compose.Services.Where(service => service.Build is { Context: "." });

    /// <summary>The system's own services (services/, not tools/ such as backupctl): they talk to the broker and export traces.</summary>
    public static IEnumerable<ComposeService> BusServices(ComposeFile compose) =>
        DotnetServices(compose).Where(service => ProjectFolder(service.Build!) == "services");

    public static IEnumerable<ComposeService> LongRunningServices(ComposeFile compose) =>
        compose.Services.Where(service => !service.IsOneShot);

    public static IEnumerable<string> RestartPolicies(ComposeFile compose) =>
        compose.Services
            .Where(service => service.Restart is null)
            .Select(service => $"{service.Name}: states no restart policy (\"no\" for a one-shot step, unless-stopped otherwise)");

    public static IEnumerable<string> Healthchecks(ComposeFile compose)
    {
        foreach (var service in LongRunningServices(compose))
        {
            var test = service.HealthcheckTest;
            if (service.Healthcheck is null || test.Count == 0)
            {
                yield return $"{service.Name}: long-running but has no healthcheck";
            }
            else if (test[0] == "NONE" || Values.Text(service.Healthcheck.GetValueOrDefault("disable")) == "true")
            {
                yield return $"{service.Name}: healthcheck is disabled";
            }
            else if (test[0] is not ("CMD" or "CMD-SHELL") || test.Count < 2)
            {
                yield return $"{service.Name}: healthcheck test must start with CMD or CMD-SHELL and name a command";
            }
        }
    }

    public static IEnumerable<string> Builds(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            var build = service.Build!;
            var context = compose.FullPath(build.Context);
            if (!System.IO.Directory.Exists(context))
            {
                yield return $"{service.Name}: build context {build.Context} does not exist";
                continue;
            }

            var dockerfile = Path.Combine(context, build.Dockerfile);
            if (!File.Exists(dockerfile))
            {
                yield return $"{service.Name}: dockerfile {build.Dockerfile} does not exist in {build.Context}";
            }

            var project = build.Args.GetValueOrDefault("SERVICE");
            if (string.IsNullOrEmpty(project))
            {
                yield return $"{service.Name}: no SERVICE build arg naming the project to publish";
            }
            else if (!File.Exists(Path.Combine(context, ProjectFolder(build), project, project + ".csproj")))
            {
                yield return $"{service.Name}: SERVICE={project} but {ProjectFolder(build)}/{project}/{project}.csproj does not exist";
            }
            else if (!service.IsOneShot &&
                     !File.ReadAllText(Path.Combine(context, ProjectFolder(build), project, project + ".csproj")).Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal))
            {
                yield return $"{service.Name}: probed over HTTP, but {project} is not an ASP.NET Core (Microsoft.NET.Sdk.Web) project";
            }
        }
    }

    /// <summary>The folder holding the project: the build arg PROJECT_FOLDER, services by default (as in the Dockerfile).</summary>
    public static string ProjectFolder(BuildSpec build) => build.Args.GetValueOrDefault("PROJECT_FOLDER") ?? "services";

    public static IEnumerable<string> Images(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            var dockerfile = LoadDockerfile(compose, service);
            if (dockerfile is null)
            {
                continue; // reported by Builds
            }

            foreach (var violation in Image(service, dockerfile))
            {
                yield return violation;
            }
        }

        foreach (var service in compose.Services.Where(service => service.User is not null && IsRoot(service.User)))
        {
            yield return $"{service.Name}: user: {service.User} is root";
        }
    }

    /// <summary>What the image a service is built from must be: a separate build stage, and a non-root user in the end.</summary>
    public static IEnumerable<string> Image(ComposeService service, Dockerfile dockerfile)
    {
        if (dockerfile.Stages.Count < 2)
        {
            yield return $"{service.Name}: its Dockerfile has {dockerfile.Stages.Count} stage(s); build and runtime must be separate";
        }

        if (IsRoot(dockerfile.FinalUser) && (service.User is null || IsRoot(service.User)))
        {
            yield return $"{service.Name}: runs as root (final stage USER is {dockerfile.FinalUser ?? "unset"})";
        }
    }

    public static IEnumerable<string> Dependencies(ComposeFile compose)
    {
        foreach (var service in compose.Services)
        {
            foreach (var (name, condition) in service.DependsOn)
            {
                var dependency = compose.Service(name);
                if (dependency is null)
                {
                    yield return $"{service.Name}: depends on {name}, which is not a service";
                }
                else if (dependency.IsOneShot && condition != "service_completed_successfully")
                {
                    yield return $"{service.Name}: depends on the one-shot {name} with {condition}; it must wait for service_completed_successfully";
                }
                else if (!dependency.IsOneShot && dependency.Healthcheck is not null && condition != "service_healthy")
                {
                    yield return $"{service.Name}: depends on {name} with {condition}; {name} has a healthcheck, so wait for service_healthy";
                }
            }
        }

        // The migrator too: it declares every service's exchanges, queues and bindings before they start.
        foreach (var service in BusServices(compose))
        {
            if (service.DependsOn.GetValueOrDefault("rabbitmq") != "service_healthy")
            {
                yield return $"{service.Name}: must depend on rabbitmq with condition service_healthy";
            }
        }

        foreach (var service in DotnetServices(compose).Where(service => !service.IsOneShot && service.Secrets.Any(secret => secret.Target == "ConnectionStrings__Catalog")))
        {
            var migrators = compose.Services.Where(step => step.IsOneShot && step.Secrets.Any(secret => secret.Target == "ConnectionStrings__Catalog"));
            foreach (var migrator in migrators.Where(migrator => !service.DependsOn.ContainsKey(migrator.Name)))
            {
                yield return $"{service.Name}: uses the catalog database but does not wait for {migrator.Name}";
            }
        }
    }

    /// <summary>
    /// A service whose project uses the catalog database (it references Backup.Database: the saga, dump and
    /// restore jobs) gets ConnectionStrings__Catalog as a secret; without it the service refuses to start.
    /// </summary>
    public static IEnumerable<string> CatalogConnections(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            var project = service.Build!.Args.GetValueOrDefault("SERVICE");
            var path = project is null ? null : Path.Combine(compose.FullPath(service.Build.Context), "services", project, project + ".csproj");
            if (path is null || !File.Exists(path) || !File.ReadAllText(path).Contains("Backup.Database.csproj", StringComparison.Ordinal))
            {
                continue;
            }

            if (!service.Secrets.Any(secret => secret.Target == "ConnectionStrings__Catalog"))
            {
                yield return $"{service.Name}: {project} uses the catalog database but gets no ConnectionStrings__Catalog secret";
            }
        }
    }

    public static IEnumerable<string> SecretsStayOutOfTheEnvironment(ComposeFile compose)
    {
        foreach (var service in compose.Services)
        {
            if (service.UsesEnvFile)
            {
                yield return $"{service.Name}: uses env_file; settings belong in environment, secrets in secrets";
            }

            var settings = service.Environment.Select(entry => ("environment", entry.Key, entry.Value))
                .Concat((service.Build?.Args ?? new Dictionary<string, string?>()).Select(entry => ("build arg", entry.Key, entry.Value)));
            foreach (var (kind, key, value) in settings)
            {
                if (SecretName().IsMatch(key) && !(value ?? "").StartsWith("/run/secrets", StringComparison.Ordinal) && !NamesAKeyFile(key, value))
                {
                    yield return $"{service.Name}: {kind} {key} looks like a secret; mount it as a compose secret instead";
                }
                else if (value is not null && SecretValue().IsMatch(value))
                {
                    yield return $"{service.Name}: {kind} {key} holds a credential in clear";
                }
            }
        }
    }

    public static IEnumerable<string> SecretDeclarations(ComposeFile compose)
    {
        var secretsFolder = compose.FullPath(SecretsFolder) + Path.DirectorySeparatorChar;
        foreach (var service in compose.Services)
        {
            foreach (var secret in service.Secrets.Where(secret => !compose.Secrets.ContainsKey(secret.Source)))
            {
                yield return $"{service.Name}: secret {secret.Source} is not declared under the top-level secrets";
            }
        }

        foreach (var (name, declaration) in compose.Secrets)
        {
            var file = Values.Text(declaration.GetValueOrDefault("file"));
            if (file is null)
            {
                yield return $"secret {name}: has no file: (secrets come from files made by init-secrets.sh, not from the environment)";
            }
            else if (!compose.FullPath(file).StartsWith(secretsFolder, StringComparison.Ordinal))
            {
                yield return $"secret {name}: file {file} is not under {SecretsFolder}/";
            }
        }
    }

    /// <summary>The .NET services read /run/secrets as configuration: each secret must land under its configuration key.</summary>
    public static IEnumerable<string> SecretTargetsAreConfigurationKeys(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            foreach (var secret in service.Secrets.Where(secret => !ConfigurationKey().IsMatch(secret.Target)))
            {
                yield return $"{service.Name}: secret {secret.Source} is mounted as {secret.Target}, which is not a configuration key like RabbitMq__Password";
            }

            if (service.Environment.ContainsKey("RabbitMq__Host") && service.Secrets.All(secret => secret.Target != "RabbitMq__Password"))
            {
                yield return $"{service.Name}: uses the broker but gets no RabbitMq__Password secret";
            }
        }
    }

    public static IEnumerable<string> PortsBindToLoopback(ComposeFile compose)
    {
        foreach (var service in compose.Services)
        {
            foreach (var port in service.Ports)
            {
                var loopback = port switch
                {
                    string text => text.StartsWith("127.0.0.1:", StringComparison.Ordinal),
                    _ => Values.Text(Values.Map(port).GetValueOrDefault("host_ip")) == "127.0.0.1",
                };
                if (!loopback)
                {
                    yield return $"{service.Name}: port {Describe(port)} is published on every interface; bind it to 127.0.0.1";
                }
            }
        }
    }

    /// <summary>Host names in the services' settings (keys ending in __Host, the OTLP endpoint) are services of this file.</summary>
    public static IEnumerable<string> HostNamesAreServices(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            foreach (var (key, value) in service.Environment)
            {
                var host = key.EndsWith("__Host", StringComparison.Ordinal) ? value
                    : key == "OTEL_EXPORTER_OTLP_ENDPOINT" && Uri.TryCreate(value, UriKind.Absolute, out var endpoint) ? endpoint.Host
                    : null;
                if (host is not null && compose.Service(host) is null)
                {
                    yield return $"{service.Name}: {key} names {host}, which is not a service of this file";
                }
            }

            if (BusServices(compose).Contains(service) && !service.Environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"))
            {
                yield return $"{service.Name}: no OTEL_EXPORTER_OTLP_ENDPOINT, so its traces go nowhere";
            }
        }
    }

    /// <summary>The artifact store (Storage__Root) is one named volume, mounted at that path wherever the setting is used.</summary>
    public static IEnumerable<string> ArtifactStore(ComposeFile compose)
    {
        var volumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in compose.Services.Where(service => service.Environment.ContainsKey("Storage__Root")))
        {
            var root = service.Environment["Storage__Root"];
            var mount = service.Volumes.FirstOrDefault(volume => volume.Target == root);
            if (mount is null)
            {
                yield return $"{service.Name}: Storage__Root is {root}, but no volume is mounted there";
            }
            else if (!compose.Volumes.Contains(mount.Source))
            {
                yield return $"{service.Name}: {root} is not a named volume declared at the top level";
            }
            else
            {
                volumes.Add(mount.Source);
            }
        }

        if (volumes.Count > 1)
        {
            yield return $"the artifact store is split across volumes {string.Join(", ", volumes)}";
        }
    }

    /// <summary>A healthcheck can only run a program its image has.</summary>
    public static IEnumerable<string> HealthcheckToolsAreInstalled(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose))
        {
            var tool = service.HealthcheckTest.Skip(1).FirstOrDefault()?.Split(' ')[0];
            var dockerfile = LoadDockerfile(compose, service);
            if (tool is null || dockerfile is null || tool.StartsWith('/') || tool == "dotnet")
            {
                continue;
            }

            if (!Installs(dockerfile.FinalRunCommands(service.Build!.Args), tool))
            {
                yield return $"{service.Name}: the healthcheck runs {tool}, which its image does not install";
            }
        }
    }

    /// <summary>pg_dump must be at least as new as the server it dumps, and be where the dumper looks for it.</summary>
    public static IEnumerable<string> PgDumpMatchesTheSource(ComposeFile compose)
    {
        foreach (var service in DotnetServices(compose).Where(service => service.Environment.ContainsKey("Dumper__PgBinDirectory")))
        {
            var binDirectory = service.Environment["Dumper__PgBinDirectory"] ?? "";
            var client = PostgresBin().Match(binDirectory);
            if (!client.Success)
            {
                yield return $"{service.Name}: Dumper__PgBinDirectory {binDirectory} is not /usr/lib/postgresql/<major>/bin";
                continue;
            }

            var clientMajor = int.Parse(client.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var dockerfile = LoadDockerfile(compose, service);
            if (dockerfile is not null && !Installs(dockerfile.FinalRunCommands(service.Build!.Args), $"postgresql-client-{clientMajor}"))
            {
                yield return $"{service.Name}: looks for pg_dump in {binDirectory}, but its image does not install postgresql-client-{clientMajor}";
            }

            foreach (var (key, host) in service.Environment.Where(entry => SourceHost().IsMatch(entry.Key)))
            {
                var server = host is null ? null : compose.Service(host);
                var serverMajor = server?.Image is { } image && ServerImage().Match(image) is { Success: true } tag
                    ? int.Parse(tag.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture)
                    : (int?)null;
                if (serverMajor > clientMajor)
                {
                    yield return $"{service.Name}: {key} is PostgreSQL {serverMajor}, newer than its pg_dump {clientMajor}";
                }
            }
        }
    }

    /// <summary>
    /// pg_restore must be where the restorer looks for it, and not older than any dumper's pg_dump: pg_restore reads
    /// archives of its own major version and older ones only.
    /// </summary>
    public static IEnumerable<string> PgRestoreReadsWhatPgDumpWrites(ComposeFile compose)
    {
        var dumpers = DotnetServices(compose)
            .Select(service => (service.Name, Major: ClientMajor(service.Environment.GetValueOrDefault("Dumper__PgBinDirectory"))))
            .Where(dumper => dumper.Major is not null)
            .ToList();
        foreach (var service in DotnetServices(compose).Where(service => service.Environment.ContainsKey("Restore__PgBinDirectory")))
        {
            var binDirectory = service.Environment["Restore__PgBinDirectory"] ?? "";
            if (ClientMajor(binDirectory) is not { } clientMajor)
            {
                yield return $"{service.Name}: Restore__PgBinDirectory {binDirectory} is not /usr/lib/postgresql/<major>/bin";
                continue;
            }

            var dockerfile = LoadDockerfile(compose, service);
            if (dockerfile is not null && !Installs(dockerfile.FinalRunCommands(service.Build!.Args), $"postgresql-client-{clientMajor}"))
            {
                yield return $"{service.Name}: looks for pg_restore in {binDirectory}, but its image does not install postgresql-client-{clientMajor}";
            }

            foreach (var (dumper, dumperMajor) in dumpers.Where(dumper => dumper.Major > clientMajor))
            {
                yield return $"{service.Name}: its pg_restore {clientMajor} can't read the archives of {dumper}'s pg_dump {dumperMajor}";
            }
        }
    }

    private static int? ClientMajor(string? binDirectory) =>
        binDirectory is not null && PostgresBin().Match(binDirectory) is { Success: true } match
            ? int.Parse(match.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static Dockerfile? LoadDockerfile(ComposeFile compose, ComposeService service)
    {
        var path = Path.Combine(compose.FullPath(service.Build!.Context), service.Build.Dockerfile);
        return File.Exists(path) ? Dockerfile.Load(path) : null;
    }

    private static bool Installs(IEnumerable<string> runCommands, string package) =>
        runCommands.Any(command =>
            (command.Contains("apt-get install", StringComparison.Ordinal) || command.Contains("apk add", StringComparison.Ordinal)) &&
            Regex.IsMatch(command, $@"(^|\s){Regex.Escape(package)}(\s|$)"));

    private static bool IsRoot(string? user) =>
        user is null || user.Split(':')[0].Trim() is "" or "root" or "0";

    private static string Describe(object? port) => port is string text ? text : string.Join(", ", Values.Map(port).Select(entry => $"{entry.Key}={entry.Value}"));

    /// <summary>A setting that gives the path of a key file (Restore__SecretKeyFile: /var/lib/backup/keys/...): a path, not the secret.</summary>
    static bool NamesAKeyFile(string key, string? value) =>
        KeyFileSetting().IsMatch(key) && value is not null && value.StartsWith('/') && !value.Contains(' ', StringComparison.Ordinal);

    [GeneratedRegex(@"KeyFiles?(__\d+)?$")]
    private static partial Regex KeyFileSetting();

    [GeneratedRegex("password|secret|pass|pwd|token|apikey|api_key", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(password|pwd)\s*=|://[^/@\s:]+:[^/@\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex SecretValue();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(__[A-Za-z0-9]+)+$")]
    private static partial Regex ConfigurationKey();

    [GeneratedRegex(@"^/usr/lib/postgresql/(?<major>\d+)/bin/?$")]
    private static partial Regex PostgresBin();

    [GeneratedRegex(@"^Sources__[^_]+__Host$")]
    private static partial Regex SourceHost();

    [GeneratedRegex(@"^(docker\.io/)?(library/)?postgres:(?<major>\d+)")]
    private static partial Regex ServerImage();
}
