using System.Text.Json;
using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Observability;

namespace Backup.Deploy.Tests;

/// <summary>
/// Every metric the alert rules and the Grafana board query is one that exists: a service's instrument (read from the
/// *Metrics.cs classes) under the name the collector's Prometheus exporter gives it, a recording rule of alerts.yml,
/// Prometheus' own <c>up</c>, or a metric of RabbitMQ's rabbitmq_prometheus plugin that docs/observability.md lists.
/// </summary>
public sealed partial class The_metric_names
{
    private static readonly IReadOnlySet<string> Exported = ExportedMetrics.PrometheusNames();
    private static readonly IReadOnlyList<PrometheusRule> Rules = ObservabilityFiles.Rules();

    [Fact]
    public void Translate_instrument_names_as_the_collector_s_prometheus_exporter_does()
    {
        Assert.Equal(["backup_dump_duration_seconds_bucket", "backup_dump_duration_seconds_sum", "backup_dump_duration_seconds_count"],
            ExportedMetrics.PrometheusNames(new Instrument("backup.dump.duration", "s", "Histogram", "")));
        Assert.Equal(["backup_notifications_total"], ExportedMetrics.PrometheusNames(new Instrument("backup.notifications", "{notification}", "Counter", "")));
        Assert.Equal(["backup_source_stale_ratio"], ExportedMetrics.PrometheusNames(new Instrument("backup.source.stale", "1", "ObservableGauge", "")));
        Assert.Equal(["backup_source_last_success_age_seconds"], ExportedMetrics.PrometheusNames(new Instrument("backup.source.last_success_age", "s", "ObservableGauge", "")));
        Assert.Equal(["backup_drill_rto_ratio_bucket", "backup_drill_rto_ratio_sum", "backup_drill_rto_ratio_count"],
            ExportedMetrics.PrometheusNames(new Instrument("backup.drill.rto_ratio", "1", "Histogram", "")));
        Assert.Equal(["backup_dump_stored_size_bytes_sum"], ExportedMetrics.PrometheusNames(new Instrument("backup.dump.stored_size", "By", "Histogram", "")).Where(name => name.EndsWith("_sum")));
    }

    [Fact]
    public void Are_read_from_the_instruments_of_the_services()
    {
        var instruments = ExportedMetrics.Instruments();
        Assert.Contains(instruments, instrument => instrument is { Name: "backup.dump.stored_size", Unit: "By", Kind: "Histogram" });
        Assert.Contains(instruments, instrument => instrument is { Name: "backup.source.unverified", Unit: "1", Kind: "ObservableGauge" });
        Assert.Contains(instruments, instrument => instrument is { Name: "backup.jobs.oldest_waiting_age", Unit: "s", Kind: "ObservableGauge" });
        Assert.Contains(instruments, instrument => instrument is { Name: "backup.service.ready", Unit: "1", Kind: "ObservableGauge" });
    }

    [Fact]
    public void Of_the_alert_rules_are_all_exported() =>
        Expect.NoViolations(Rules.SelectMany(rule => Unknown(rule.Expr).Select(name => $"alerts.yml, {rule.Alert ?? rule.Record}: {name}")));

    [Fact]
    public void Of_the_board_are_all_exported()
    {
        using var board = JsonDocument.Parse(Repository.ReadText($"{ObservabilityFiles.Folder}/grafana/dashboards/backup.json"));
        var queries = Queries(board.RootElement).ToList();
        Assert.True(queries.Count >= 15, $"the board has only {queries.Count} queries");
        Expect.NoViolations(queries.SelectMany(query => Unknown(query.Expr).Select(name => $"backup.json, {query.Where}: {name}")));
    }

    private static IEnumerable<string> Unknown(string expression)
    {
        var recorded = Rules.Select(rule => rule.Record).OfType<string>().ToHashSet();
        var rabbitMq = RabbitMqMetric().Matches(Repository.ReadText("docs/observability.md")).Select(match => match.Groups[1].Value).ToHashSet();
        return PromQl.MetricNames(expression).Where(name => name != "up" && !Exported.Contains(name) && !recorded.Contains(name) && !rabbitMq.Contains(name))
            .Select(name => name.StartsWith("rabbitmq_", StringComparison.Ordinal)
                ? $"{name} is not among the RabbitMQ metrics docs/observability.md lists"
                : $"{name} is no exported metric (instruments: {string.Join(", ", Exported.Order())})");
    }

    // Every panel's target expressions and the template variables' queries (label_values(metric, label)).
    private static IEnumerable<(string Where, string Expr)> Queries(JsonElement board)
    {
        foreach (var panel in board.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets)) continue;
            foreach (var target in targets.EnumerateArray())
                yield return ($"panel \"{panel.GetProperty("title").GetString()}\"", target.GetProperty("expr").GetString() ?? "");
        }
        foreach (var variable in board.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            var query = variable.GetProperty("definition").GetString() ?? "";
            var labelValues = LabelValues().Match(query);
            yield return ($"variable {variable.GetProperty("name").GetString()}", labelValues.Success ? labelValues.Groups[1].Value : query);
        }
    }

    [GeneratedRegex(@"`(rabbitmq_[a-z_]+)`")]
    private static partial Regex RabbitMqMetric();

    [GeneratedRegex(@"^label_values\((.+),\s*\w+\)$")]
    private static partial Regex LabelValues();
}
