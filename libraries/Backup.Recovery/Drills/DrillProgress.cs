using System.Diagnostics;
using Backup.Archive;
using Backup.Storage;

namespace Backup.Recovery.Drills;

/// <summary>
/// Times a drill's steps from the restore's progress, and keeps the archive's table of contents for the checks that
/// follow. A step ends when the next begins; the first begins when the drill starts its clock. Progress is passed on
/// to <paramref name="inner"/> (backupctl prints it, the restorer logs it).
/// </summary>
sealed class DrillProgress(RestoreProgress inner) : RestoreProgress
{
    readonly Stopwatch clock = new();
    readonly List<(string Name, TimeSpan End)> ends = [];
    bool loading;

    public IReadOnlyList<TocEntry> Entries { get; private set; } = [];

    public void Start() => clock.Start();

    /// <summary>Ends <paramref name="step"/> now (a step ended again moves its end: the decode of a file ends twice).</summary>
    public void End(string step)
    {
        lock (ends)
        {
            var at = clock.Elapsed;
            var known = ends.FindIndex(e => e.Name == step);
            if (known >= 0 && known == ends.Count - 1) ends[known] = (step, at);
            else if (known < 0) ends.Add((step, at));
        }
    }

    /// <summary>Each step with its duration, in order.</summary>
    public IReadOnlyList<DrillStepTime> Steps()
    {
        lock (ends)
        {
            var steps = new List<DrillStepTime>();
            var previous = TimeSpan.Zero;
            foreach (var (name, end) in ends)
            {
                steps.Add(new DrillStepTime(name, end - previous));
                previous = end;
            }
            return steps;
        }
    }

    /// <summary>The restore returned: its last step ends.</summary>
    public void RestoreEnded() => End(loading ? DrillSteps.Indexes : DrillSteps.Restore);

    public override void Starting(ArtifactKey key, string targetDatabase, Postgres.TargetServer server) => inner.Starting(key, targetDatabase, server);

    public override async Task CheckStoredBytesAsync(ArtifactKey key, ArtifactManifest manifest, Func<IProgress<long>?, Task> check)
    {
        await inner.CheckStoredBytesAsync(key, manifest, check);
        End(DrillSteps.Fetch);
    }

    public override void TableOfContentsRead(IReadOnlyList<TocEntry> entries)
    {
        Entries = entries;
        End(DrillSteps.Decode);
        inner.TableOfContentsRead(entries);
    }

    public override void ArchiveDecoded(long archiveBytes)
    {
        End(loading ? DrillSteps.Data : DrillSteps.Decode);
        inner.ArchiveDecoded(archiveBytes);
    }

    public override void DatabaseCreated(string targetDatabase, bool recreated) => inner.DatabaseCreated(targetDatabase, recreated);

    public override void LoadingStarted(int sessions)
    {
        loading = true;
        End(DrillSteps.Schema);
        inner.LoadingStarted(sessions);
    }

    public override void PgRestoreStarting(int jobs, string pgRestore) => inner.PgRestoreStarting(jobs, pgRestore);
}
