namespace Backup.IntegrationTests.Tracing;

/// <summary>The spans of one trace as a tree: each span under its parent, the first under the caller's span.</summary>
public sealed class TraceTree
{
    readonly Dictionary<string, ReceivedSpan> byId;

    public TraceTree(IEnumerable<ReceivedSpan> spans) => byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());

    public IReadOnlyCollection<ReceivedSpan> Spans => byId.Values;

    /// <summary>Spans whose parent is neither in the trace nor <paramref name="rootParent"/>: a break in the chain (or a parent not exported yet).</summary>
    public List<ReceivedSpan> Orphans(string rootParent) =>
        [.. byId.Values.Where(s => s.ParentSpanId != rootParent && !byId.ContainsKey(s.ParentSpanId))];

    /// <summary><paramref name="span"/>'s parent, its parent's parent, … up to the top of the trace.</summary>
    public IEnumerable<ReceivedSpan> Ancestors(ReceivedSpan span)
    {
        var seen = new HashSet<string>();
        while (byId.TryGetValue(span.ParentSpanId, out var parent) && seen.Add(parent.SpanId))
        {
            yield return parent;
            span = parent;
        }
    }

    public bool IsBelow(ReceivedSpan span, ReceivedSpan ancestor) => Ancestors(span).Any(a => a.SpanId == ancestor.SpanId);

    /// <summary>Every parent link whose child started before its parent did (on one machine's clock: none should).</summary>
    public List<string> StartedBeforeTheirParent() =>
    [
        .. byId.Values
            .Where(s => byId.TryGetValue(s.ParentSpanId, out var parent) && s.StartNanos < parent.StartNanos)
            .Select(s => $"{s} started before {byId[s.ParentSpanId]}"),
    ];

    /// <summary>For a failure message: every span, indented under its parent.</summary>
    public string Describe(string rootParent)
    {
        var lines = new List<string>();
        void Walk(string parent, int depth)
        {
            foreach (var child in byId.Values.Where(s => s.ParentSpanId == parent).OrderBy(s => s.StartNanos))
            {
                lines.Add($"{new string(' ', depth * 2)}{child.Service} '{child.Name}' run={child["backup.run_id"]}");
                Walk(child.SpanId, depth + 1);
            }
        }
        Walk(rootParent, 0);
        foreach (var orphan in Orphans(rootParent)) lines.Add($"(orphan) {orphan}");
        return string.Join('\n', lines);
    }
}
