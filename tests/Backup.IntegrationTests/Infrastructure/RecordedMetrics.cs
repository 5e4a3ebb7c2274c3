using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>One measurement a service recorded: the instrument, its unit, the value and the tags.</summary>
public sealed record Measured(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value?.ToString() : null;
}

/// <summary>
/// Listens (System.Diagnostics.Metrics.MeterListener) to the instruments of one running service: those on the meter
/// named like the service (what the shared defaults export) that the service's own IMeterFactory made, so the
/// services of other tests in the process are not heard.
/// </summary>
public sealed class RecordedMetrics : IDisposable
{
    readonly MeterListener listener = new();
    readonly ConcurrentQueue<Measured> recorded = new();

    public RecordedMetrics(WebApplication service)
    {
        var factory = service.Services.GetRequiredService<IMeterFactory>();
        var meterName = service.Services.GetRequiredService<IHostEnvironment>().ApplicationName;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name == meterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();
    }

    void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        recorded.Enqueue(new Measured(instrument.Name, instrument.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

    /// <summary>Everything recorded so far on <paramref name="instrument"/>.</summary>
    public IReadOnlyList<Measured> Of(string instrument) => [.. recorded.Where(m => m.Instrument == instrument)];

    /// <summary>Reads the observable instruments (gauges) now, as a scrape would, and returns what they gave for <paramref name="instrument"/>.</summary>
    public IReadOnlyList<Measured> Observe(string instrument)
    {
        var before = recorded.Count;
        listener.RecordObservableInstruments();
        return [.. recorded.Skip(before).Where(m => m.Instrument == instrument)];
    }

    public void Dispose() => listener.Dispose();
}
