using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Compose;
using Backup.Deploy.Tests.Observability;

namespace Backup.Deploy.Tests;

/// <summary>
/// The observability services of docker-compose.yml (otel-collector, prometheus, grafana), checked by reading them and
/// their files in deploy/observability: healthchecks their images can run, pinned images, the configuration files they
/// mount present, and the pieces pointing at each other (the services' OTLP endpoint, the collector's ports, Prometheus'
/// targets and rules, Grafana's data source, board and admin password).
/// </summary>
public sealed partial class The_observability_stack
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly IReadOnlyDictionary<string, object?> Collector = ObservabilityFiles.Parse("otel-collector.yaml");
    private static readonly IReadOnlyDictionary<string, object?> Prometheus = ObservabilityFiles.Parse("prometheus.yml");

    private static ComposeService Service(string name) => Compose.Service(name) ?? throw new Xunit.Sdk.XunitException($"no service {name}");

    [Theory]
    [InlineData("otel-collector", "/usr/local/bin/busybox wget -q -O /dev/null http://127.0.0.1:13133/")]
    [InlineData("prometheus", "wget -q -O /dev/null http://127.0.0.1:9090/-/ready")]
    [InlineData("grafana", "wget -q -O /dev/null http://127.0.0.1:3000/api/health")]
    public void Each_service_is_probed_on_its_own_health_endpoint(string name, string probe)
    {
        var service = Service(name);
        Assert.Equal(["CMD", .. probe.Split(' ')], service.HealthcheckTest);
        Assert.Equal("unless-stopped", service.Restart);
        Assert.Contains("no-new-privileges:true", service.SecurityOptions);
        Assert.Equal(["ALL"], service.CapDrop);
    }

    [Fact]
    public void The_collector_image_is_the_pinned_contrib_image_with_a_static_busybox_for_its_probe()
    {
        var build = Service("otel-collector").Build!;
        var dockerfile = File.ReadAllText(Path.Combine(Compose.FullPath(build.Context), build.Dockerfile));
        Assert.Matches(@"(?m)^FROM busybox:[0-9.]+-musl AS probe$", dockerfile); // the musl build is statically linked
        Assert.Matches(@"(?m)^FROM otel/opentelemetry-collector-contrib:[0-9]+\.[0-9]+\.[0-9]+$", dockerfile);
        Assert.Contains("COPY --from=probe /bin/busybox /usr/local/bin/busybox", dockerfile, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^USER 10001$", dockerfile);
        Assert.Equal("127.0.0.1:13133", Setting(Collector, "extensions", "health_check", "endpoint"));
    }

    [Theory]
    [InlineData("prometheus", @"^prom/prometheus:v[0-9]+\.[0-9]+\.[0-9]+$")]
    [InlineData("grafana", @"^grafana/grafana:[0-9]+\.[0-9]+\.[0-9]+$")]
    public void Images_are_pinned(string name, string pattern) => Assert.Matches(pattern, Service(name).Image);

    [Fact]
    public void Every_file_they_mount_exists_and_every_volume_is_declared()
    {
        var violations = new List<string>();
        foreach (var service in new[] { "otel-collector", "prometheus", "grafana", "rabbitmq" }.Select(Service))
        {
            foreach (var volume in service.Volumes)
            {
                if (volume.Source.StartsWith("./", StringComparison.Ordinal))
                {
                    if (!File.Exists(Compose.FullPath(volume.Source)) && !Directory.Exists(Compose.FullPath(volume.Source)))
                        violations.Add($"{service.Name}: mounts {volume.Source}, which does not exist");
                    if (!volume.ReadOnly)
                        violations.Add($"{service.Name}: mounts {volume.Source} writable");
                }
                else if (!Compose.Volumes.Contains(volume.Source))
                {
                    violations.Add($"{service.Name}: volume {volume.Source} is not declared");
                }
            }
        }
        Expect.NoViolations(violations);
        Assert.Contains(Service("prometheus").Volumes, volume => volume is { Source: "prometheus-data", Target: "/prometheus" });
        Assert.Contains(Service("grafana").Volumes, volume => volume is { Source: "grafana-data", Target: "/var/lib/grafana" });
    }

    [Fact]
    public void The_services_send_their_telemetry_to_the_collector_which_sends_traces_to_jaeger()
    {
        var endpoints = ComposeRules.BusServices(Compose)
            .Select(service => (service.Name, Endpoint: service.Environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT")))
            .Where(service => service.Endpoint != "http://otel-collector:4317")
            .Select(service => $"{service.Name}: OTEL_EXPORTER_OTLP_ENDPOINT is {service.Endpoint}, not the collector");
        Expect.NoViolations(endpoints);
        Assert.Equal("0.0.0.0:4317", Setting(Collector, "receivers", "otlp", "protocols", "grpc", "endpoint"));
        Assert.Equal("0.0.0.0:4318", Setting(Collector, "receivers", "otlp", "protocols", "http", "endpoint"));
        Assert.Equal("jaeger:4317", Setting(Collector, "exporters", "otlp/jaeger", "endpoint"));
        var pipelines = Values.Map(Node(Collector, "service", "pipelines"));
        Assert.Equal(["otlp/jaeger"], Values.List(Values.Map(pipelines["traces"]).GetValueOrDefault("exporters")));
        Assert.Equal(["prometheus"], Values.List(Values.Map(pipelines["metrics"]).GetValueOrDefault("exporters")));
        Assert.Equal(["debug"], Values.List(Values.Map(pipelines["logs"]).GetValueOrDefault("exporters")));
        Assert.Equal("basic", Setting(Collector, "exporters", "debug", "verbosity")); // counts, never prints records
        Assert.Equal(["health_check"], Values.List(Node(Collector, "service", "extensions")));
        Assert.Contains(Service("otel-collector").Volumes, volume => volume.Source == "./deploy/observability/otel-collector.yaml" &&
            Service("otel-collector").Definition["command"] is IReadOnlyList<object?> command && command.Contains($"--config={volume.Target}"));
    }

    [Fact]
    public void Prometheus_scrapes_the_collector_and_rabbitmq_and_loads_the_rules_it_mounts()
    {
        var collectorPort = Setting(Collector, "exporters", "prometheus", "endpoint")!.Split(':')[^1];
        var targets = Values.List(Prometheus["scrape_configs"]).Select(Values.Map)
            .ToDictionary(job => Values.Text(job["job_name"])!, job => Values.List(Values.Map(Values.List(job["static_configs"])[0])["targets"]).Select(Values.Text).ToList());
        Assert.Equal([$"otel-collector:{collectorPort}"], targets["otel-collector"]);
        Assert.Equal(["rabbitmq:15692"], targets["rabbitmq"]);
        Assert.Equal(["rabbitmq:15692"], targets["rabbitmq-queues"]);
        Assert.Equal(["alerts.yml"], Values.List(Prometheus["rule_files"]));
        var mounts = Service("prometheus").Volumes;
        Assert.Contains(mounts, volume => volume is { Source: "./deploy/observability/prometheus.yml", Target: "/etc/prometheus/prometheus.yml", ReadOnly: true });
        Assert.Contains(mounts, volume => volume is { Source: "./deploy/observability/alerts.yml", Target: "/etc/prometheus/alerts.yml", ReadOnly: true });
        var command = Values.List(Service("prometheus").Definition["command"]).Select(Values.Text).ToList();
        Assert.Contains("--config.file=/etc/prometheus/prometheus.yml", command);
        Assert.Contains(command, argument => argument!.StartsWith("--storage.tsdb.retention.time=", StringComparison.Ordinal));
    }

    [Fact]
    public void Rabbitmq_runs_its_prometheus_plugin()
    {
        var plugins = Service("rabbitmq").Volumes.Single(volume => volume.Target == "/etc/rabbitmq/enabled_plugins");
        Assert.True(plugins.ReadOnly);
        Assert.Equal("[rabbitmq_management,rabbitmq_prometheus].", File.ReadAllText(Compose.FullPath(plugins.Source)).Trim());
    }

    [Fact]
    public void Grafana_has_its_data_source_and_board_provisioned_an_admin_password_from_a_secret_and_no_anonymous_access()
    {
        var grafana = Service("grafana");
        Assert.Equal("/run/secrets/grafana_admin_password", grafana.Environment["GF_SECURITY_ADMIN_PASSWORD__FILE"]);
        Assert.Contains(grafana.Secrets, secret => secret.Source == "grafana_admin_password");
        Assert.Equal("false", grafana.Environment["GF_AUTH_ANONYMOUS_ENABLED"]);
        Assert.Equal("false", grafana.Environment["GF_USERS_ALLOW_SIGN_UP"]);

        var dataSource = Values.Map(Values.List(ObservabilityFiles.Parse("grafana/provisioning/datasources/prometheus.yml")["datasources"]).Single());
        Assert.Equal("http://prometheus:9090", dataSource["url"]);
        var board = Repository.ReadText($"{ObservabilityFiles.Folder}/grafana/dashboards/backup.json");
        Assert.All(DataSourceUids().Matches(board), uid => Assert.Equal(dataSource["uid"], uid.Groups[1].Value));

        var provider = Values.Map(Values.List(ObservabilityFiles.Parse("grafana/provisioning/dashboards/backup.yml")["providers"]).Single());
        var boards = grafana.Volumes.Single(volume => volume.Source == "./deploy/observability/grafana/dashboards");
        Assert.Equal(boards.Target, Values.Map(provider["options"])["path"]);
        Assert.Equal($"{boards.Target}/backup.json", grafana.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]);
        Assert.Contains(grafana.Volumes, volume => volume is { Source: "./deploy/observability/grafana/provisioning", Target: "/etc/grafana/provisioning", ReadOnly: true });
    }

    private static string? Setting(IReadOnlyDictionary<string, object?> root, params string[] keys) => Values.Text(Node(root, keys));

    private static object? Node(IReadOnlyDictionary<string, object?> root, params string[] keys)
    {
        object? node = root;
        foreach (var key in keys) node = Values.Map(node).GetValueOrDefault(key);
        return node;
    }

    [GeneratedRegex("\"datasource\":\\s*\\{\\s*\"type\":\\s*\"prometheus\",\\s*\"uid\":\\s*\"([^\"]+)\"")]
    private static partial Regex DataSourceUids();
}
