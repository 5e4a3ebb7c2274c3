using Npgsql;

namespace Backup.Recovery.Restore;

/// <summary>
/// The maintenance session of a restore, prepared while the artifact is checked: opened, holding the target's lock,
/// with whether the target exists. Disposing it closes the session (and so lets go of the lock), whether or not it
/// was ever used; a preparation that failed is reported only by <see cref="ReadyAsync"/>.
/// </summary>
public sealed class PreparedTarget : IAsyncDisposable
{
    readonly Task<(NpgsqlConnection Session, bool Exists)> preparing;

    PreparedTarget(Task<(NpgsqlConnection Session, bool Exists)> preparing) => this.preparing = preparing;

    public static PreparedTarget Start(Func<Task<(NpgsqlConnection Session, bool Exists)>> prepare) => new(Task.Run(prepare));

    /// <summary>The session and whether the target exists; the preparation's failure (TargetBusy, TargetExists, ConnectionFailed) if it failed.</summary>
    public Task<(NpgsqlConnection Session, bool Exists)> ReadyAsync() => preparing;

    public async ValueTask DisposeAsync()
    {
        try
        {
            var (session, _) = await preparing;
            await session.DisposeAsync();
        }
        catch (Exception)
        {
            // Failed or cancelled: it holds nothing. When it matters, ReadyAsync reported why.
        }
    }
}
