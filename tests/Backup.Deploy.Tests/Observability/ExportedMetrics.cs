using System.Text.RegularExpressions;

namespace Backup.Deploy.Tests.Observability;

/// <summary>An instrument a service creates: its OpenTelemetry name, unit and kind (Counter, Histogram, ObservableGauge, …).</summary>
public sealed record Instrument(string Name, string Unit, string Kind, string File);

/// <summary>
/// The metrics the services really export, as Prometheus sees them: the instruments of every *Metrics.cs class of
/// services/ and libraries/ (read from the code: the name constant, or literal, and the unit of each Create… call),
/// named the way the OpenTelemetry Collector's Prometheus exporter names them (the OpenTelemetry → Prometheus
/// compatibility rules, prometheus/otlptranslator, with suffixes on: dots and other characters to underscores, the
/// unit as a suffix unless the name has it already (s → seconds, By → bytes, 1 and {annotations} → none), _ratio for
/// gauges of unit 1, _total for counters, _bucket/_sum/_count for histograms).
/// </summary>
public static partial class ExportedMetrics
{
    private static readonly Dictionary<string, string> UnitSuffixes = new(StringComparer.Ordinal)
    {
        ["d"] = "days", ["h"] = "hours", ["min"] = "minutes", ["s"] = "seconds", ["ms"] = "milliseconds", ["us"] = "microseconds",
        ["ns"] = "nanoseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes", ["MiBy"] = "mebibytes", ["GiBy"] = "gibibytes",
        ["1"] = "", ["%"] = "percent",
    };

    public static IReadOnlyList<Instrument> Instruments()
    {
        var files = new[] { "services", "libraries" }
            .SelectMany(folder => Directory.EnumerateFiles(Repository.PathOf(folder), "*Metrics.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var instruments = new List<Instrument>();
        foreach (var file in files)
        {
            var code = File.ReadAllText(file);
            var constants = Constant().Matches(code).ToDictionary(match => match.Groups["name"].Value, match => match.Groups["value"].Value);
            foreach (Match create in Create().Matches(code))
            {
                var argument = create.Groups["name"].Value;
                var name = argument.StartsWith('"') ? argument.Trim('"') : constants.GetValueOrDefault(argument)
                    ?? throw new InvalidOperationException($"{file}: instrument name {argument} is no string constant of the file");
                var unit = Unit().Match(code, create.Index + create.Length);
                instruments.Add(new Instrument(name, unit.Success ? unit.Groups["unit"].Value : "", create.Groups["kind"].Value,
                    Path.GetRelativePath(Repository.Root, file)));
            }
        }
        return instruments;
    }

    /// <summary>The Prometheus series names of <paramref name="instrument"/>.</summary>
    public static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        var tokens = NameToken().Matches(instrument.Name).Select(match => match.Value).ToList();
        var unit = UnitSuffixes.TryGetValue(instrument.Unit, out var known) ? known : Braces().Replace(instrument.Unit, "");
        if (unit.Length > 0 && !tokens.Contains(unit)) tokens.Add(unit);
        var kind = instrument.Kind.Replace("Observable", "", StringComparison.Ordinal);
        if (kind == "Counter") tokens = [.. tokens.Where(token => token != "total"), "total"];
        if (kind == "Gauge" && instrument.Unit == "1") tokens = [.. tokens.Where(token => token != "ratio"), "ratio"];
        var name = string.Join('_', tokens);
        return kind == "Histogram" ? [$"{name}_bucket", $"{name}_sum", $"{name}_count"] : [name];
    }

    public static IReadOnlySet<string> PrometheusNames() => Instruments().SelectMany(PrometheusNames).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("""const\s+string\s+(?<name>\w+)\s*=\s*"(?<value>[^"]+)"\s*;""")]
    private static partial Regex Constant();

    [GeneratedRegex("""\bCreate(?<kind>Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)\s*(<[^>]+>)?\s*\(\s*(?<name>\w+|"[^"]+")""")]
    private static partial Regex Create();

    // The first string literal after the name that is a unit (UCUM: s, By, 1, or a {annotation}); descriptions and tag keys are not.
    [GeneratedRegex("""\G[\s\S]*?"(?<unit>1|%|[a-zA-Z]{1,4}|\{[^"}]*\})"\s*[,)]""")]
    private static partial Regex Unit();

    [GeneratedRegex("[a-zA-Z0-9:]+")]
    private static partial Regex NameToken();

    [GeneratedRegex(@"\{[^}]*\}|[^a-zA-Z0-9]")]
    private static partial Regex Braces();
}

/// <summary>The metric names a PromQL expression reads (not its functions, label names, keywords, durations or strings).</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
        { "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan" };

    public static IEnumerable<string> MetricNames(string expression)
    {
        var bare = Strings().Replace(expression, "\"\"");
        bare = Matchers().Replace(bare, " ");
        bare = Ranges().Replace(bare, " ");
        bare = Groupings().Replace(bare, " ");
        return Identifier().Matches(bare)
            .Where(match => !Keywords.Contains(match.Value.ToLowerInvariant()))
            .Where(match => !FollowedByParenthesis().IsMatch(bare[(match.Index + match.Length)..]))
            .Select(match => match.Value)
            .Distinct();
    }

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w:.$])[a-zA-Z_:][\w:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\s*\(")]
    private static partial Regex FollowedByParenthesis();
}
