using System.Collections.Concurrent;
using System.Net;
using Backup.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Backup.IntegrationTests.Health;

/// <summary>What a service's /health/ready answers: the status code and the body (status line, then one line per check that is not healthy).</summary>
public sealed record Readiness(HttpStatusCode Code, string Body)
{
    public static async Task<Readiness> Of(HttpClient http)
    {
        using var response = await http.GetAsync(BackupHostDefaults.ReadyPath);
        return new Readiness(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public string Status => BackupHostDefaults.ReadyStatus(Body);

    public override string ToString() => $"{(int)Code} {Body}";
}

/// <summary>Every log of a service, with its event id, level, the exception's text and when it was logged.</summary>
public sealed class RecordedLogs : ILoggerProvider, ILogger
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message, string? Error, DateTimeOffset At)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception), exception?.ToString(), DateTimeOffset.UtcNow));

    public bool IsEnabled(LogLevel logLevel) => true;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Dispose()
    {
    }
}
