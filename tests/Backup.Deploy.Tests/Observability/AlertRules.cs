using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests.Observability;

/// <summary>One rule of deploy/observability/alerts.yml: an alert (Alert set) or a recording rule (Record set).</summary>
public sealed record PrometheusRule(string? Alert, string? Record, string Expr, IReadOnlyDictionary<string, string?> Labels,
    IReadOnlyDictionary<string, string?> Annotations);

/// <summary>One alert_rule_test of alerts.test.yml or alerts.daily.test.yml: the alert, when, and whether it expects alerts (fires) or none (quiet).</summary>
public sealed record AlertTestCase(string TestName, string AlertName, string EvalTime, bool ExpectsAlerts);

/// <summary>The observability files of deploy/observability, read as YAML.</summary>
public static class ObservabilityFiles
{
    public const string Folder = "deploy/observability";

    public static IReadOnlyList<PrometheusRule> Rules() =>
        [.. Values.List(Parse("alerts.yml").GetValueOrDefault("groups"))
            .SelectMany(group => Values.List(Values.Map(group).GetValueOrDefault("rules")))
            .Select(Values.Map)
            .Select(rule => new PrometheusRule(Values.Text(rule.GetValueOrDefault("alert")), Values.Text(rule.GetValueOrDefault("record")),
                Values.Text(rule.GetValueOrDefault("expr")) ?? "", Values.KeyValues(rule.GetValueOrDefault("labels")),
                Values.KeyValues(rule.GetValueOrDefault("annotations"))))];

    /// <summary>The promtool unit test files of alerts.yml.</summary>
    public static readonly string[] TestFiles = ["alerts.test.yml", "alerts.daily.test.yml"];

    public static IReadOnlyList<AlertTestCase> TestCases() =>
        [.. TestFiles.SelectMany(file => Values.List(Parse(file).GetValueOrDefault("tests"))).Select(Values.Map)
            .SelectMany(test => Values.List(test.GetValueOrDefault("alert_rule_test")).Select(Values.Map)
                .Select(check => new AlertTestCase(Values.Text(test.GetValueOrDefault("name")) ?? "",
                    Values.Text(check.GetValueOrDefault("alertname")) ?? "", Values.Text(check.GetValueOrDefault("eval_time")) ?? "",
                    Values.List(check.GetValueOrDefault("exp_alerts")).Count > 0)))];

    public static IReadOnlyDictionary<string, object?> Parse(string file) => YamlTree.ParseMapping(Repository.ReadText($"{Folder}/{file}"));
}
