using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using MassTransit;

namespace Backup.ServiceDefaults;

/// <summary>
/// Tags the span a message is received in with what the message is about, so a trace backend finds every service's
/// spans of a run by its id: <c>backup.run_id</c>, <c>backup.source</c>, <c>backup.restore_id</c> and
/// <c>backup.artifact_key</c>, from the contract's RunId, Source, RestoreId and ArtifactKey (those it has). The
/// consumer's and the saga's own spans are children of that span. <c>backup.message_type</c> names the contract. Registered on every bus by <see cref="BusDefaults"/>.
/// </summary>
public sealed class RunSpanTags : IConsumeObserver
{
    static readonly (string Property, string Tag)[] Tagged =
    [
        ("RunId", "backup.run_id"),
        ("Source", "backup.source"),
        ("RestoreId", "backup.restore_id"),
        ("ArtifactKey", "backup.artifact_key"),
    ];

    static readonly ConcurrentDictionary<Type, (PropertyInfo Property, string Tag)[]> ByType = new();

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (Activity.Current is not { } span) return Task.CompletedTask;
        span.SetTag("backup.message_type", typeof(T).Name);
        foreach (var (property, tag) in ByType.GetOrAdd(typeof(T), TaggedProperties))
            if (property.GetValue(context.Message) is { } value)
                span.SetTag(tag, value.ToString());
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    static (PropertyInfo, string)[] TaggedProperties(Type type) =>
        Tagged.Select(t => (Property: type.GetProperty(t.Property, BindingFlags.Public | BindingFlags.Instance), t.Tag))
            .Where(t => t.Property is not null)
            .Select(t => (t.Property!, t.Tag))
            .ToArray();
}
