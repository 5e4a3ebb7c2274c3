using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Observability;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/observability/alerts.yml: valid for Prometheus (promtool check config, check rules), every alert proven by
/// its promtool unit tests (alerts.test.yml; alerts.daily.test.yml for those over days of backups) to fire on the input it is for and to stay quiet otherwise, and every
/// alert ready for the one it wakes: a severity, a summary, and a runbook section in docs/observability.md.
/// </summary>
public sealed partial class The_alert_rules
{
    private static readonly IReadOnlyList<PrometheusRule> Alerts = [.. ObservabilityFiles.Rules().Where(rule => rule.Alert is not null)];

    [Theory]
    [InlineData("check", "config", "prometheus.yml")]
    [InlineData("check", "rules", "alerts.yml")]
    [InlineData("test", "rules", "alerts.test.yml")]
    [InlineData("test", "rules", "alerts.daily.test.yml")]
    public void Pass_promtool(string verb, string what, string file)
    {
        var (exitCode, output) = Promtool.Run(verb, what, file);
        Assert.True(exitCode == 0, $"promtool {verb} {what} {file} failed (exit {exitCode}):{Environment.NewLine}{output}");
    }

    [Fact]
    public void Every_alert_has_a_test_that_fires_it_and_one_that_keeps_it_quiet()
    {
        var cases = ObservabilityFiles.TestCases();
        Assert.NotEmpty(Alerts);
        var violations = new List<string>();
        foreach (var alert in Alerts.Select(rule => rule.Alert!))
        {
            if (!cases.Any(check => check.AlertName == alert && check.ExpectsAlerts))
                violations.Add($"{alert}: no test case in alerts.test.yml or alerts.daily.test.yml expects it to fire");
            if (!cases.Any(check => check.AlertName == alert && !check.ExpectsAlerts))
                violations.Add($"{alert}: no test case in alerts.test.yml or alerts.daily.test.yml expects it to stay quiet (exp_alerts: [])");
        }
        violations.AddRange(cases.Where(check => Alerts.All(rule => rule.Alert != check.AlertName))
            .Select(check => $"test \"{check.TestName}\" checks {check.AlertName}, which alerts.yml does not define"));
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_naming_its_source_and_a_runbook_section()
    {
        var anchors = Anchors(Repository.ReadText("docs/observability.md"));
        var violations = new List<string>();
        foreach (var alert in Alerts)
        {
            if (alert.Labels.GetValueOrDefault("severity") is not ("critical" or "warning"))
                violations.Add($"{alert.Alert}: severity is not critical or warning");
            if (string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")) || string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("description")))
                violations.Add($"{alert.Alert}: no summary or description");
            if (alert.Expr.Contains("backup_source", StringComparison.Ordinal) &&
                !(alert.Annotations.GetValueOrDefault("summary") ?? "").Contains("$labels.backup_source", StringComparison.Ordinal))
                violations.Add($"{alert.Alert}: is per source, but its summary does not name the source ({{{{ $labels.backup_source }}}})");
            var runbook = alert.Annotations.GetValueOrDefault("runbook_url") ?? "";
            var match = RunbookUrl().Match(runbook);
            if (!match.Success)
                violations.Add($"{alert.Alert}: runbook_url '{runbook}' is not docs/observability.md#<anchor>");
            else if (!anchors.Contains(match.Groups["anchor"].Value))
                violations.Add($"{alert.Alert}: runbook_url's anchor #{match.Groups["anchor"].Value} is no heading of docs/observability.md");
        }
        Expect.NoViolations(violations);
    }

    /// <summary>GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        [.. Heading().Matches(markdown).Select(heading => Punctuation().Replace(heading.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    [GeneratedRegex(@"^docs/observability\.md#(?<anchor>[a-z0-9-]+)$")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"^#{1,6}\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N} _-]")]
    private static partial Regex Punctuation();
}
