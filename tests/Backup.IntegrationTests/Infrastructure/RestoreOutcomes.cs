using System.Collections.Concurrent;
using System.Text.Json;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>What the restorer published for one restore: "RestoreCompleted" or "RestoreFailed", and the message's JSON.</summary>
public sealed record RestoreOutcome(string Event, JsonElement Message)
{
    public bool Completed => Event == "RestoreCompleted";
    public string? ErrorCode => Completed ? null : Message.GetProperty("errorCode").GetString();
    public string? Reason => Completed ? null : Message.GetProperty("reason").GetString();

    public override string ToString() => $"{Event}: {Message}";
}

/// <summary>RestoreCompleted and RestoreFailed as a platform service would see them: private queues on both exchanges.</summary>
public sealed class RestoreOutcomes
{
    readonly ConcurrentQueue<JsonElement> completed;
    readonly ConcurrentQueue<JsonElement> failed;

    RestoreOutcomes(ConcurrentQueue<JsonElement> completed, ConcurrentQueue<JsonElement> failed)
    {
        this.completed = completed;
        this.failed = failed;
    }

    public static async Task<RestoreOutcomes> ListenAsync(RawRabbit rabbit) => new(
        await rabbit.ListenAsync("Backup.Contracts:RestoreCompleted"),
        await rabbit.ListenAsync("Backup.Contracts:RestoreFailed"));

    /// <summary>The outcome of <paramref name="restoreId"/>, once it is published.</summary>
    public Task<RestoreOutcome> WaitAsync(Guid restoreId) =>
        Eventually.Get(() => Task.FromResult(Find(restoreId)), $"RestoreCompleted or RestoreFailed of {restoreId}", TimeSpan.FromSeconds(120));

    RestoreOutcome? Find(Guid restoreId)
    {
        foreach (var message in completed)
            if (message.GetProperty("restoreId").GetGuid() == restoreId) return new RestoreOutcome("RestoreCompleted", message);
        foreach (var message in failed)
            if (message.GetProperty("restoreId").GetGuid() == restoreId) return new RestoreOutcome("RestoreFailed", message);
        return null;
    }
}
