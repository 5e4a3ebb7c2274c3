using Backup.Ctl.Store;
using Backup.Recovery.Verification;
using Backup.Storage;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// Runs <see cref="StoredBytesCheck"/> with a progress bar when standard output is a terminal, and with one plain
/// line before and after otherwise.
/// </summary>
public static class HashingProgress
{
    public static Task CheckStoredBytesAsync(Terminal terminal, StoreFolder folder, ArtifactKey key, ArtifactManifest manifest,
        CancellationToken cancellationToken) =>
        ShowAsync(terminal, key, manifest, progress => StoredBytesCheck.RunAsync(folder.Store, key, manifest, progress, cancellationToken));

    /// <summary>Shows <paramref name="check"/>, a run of <see cref="StoredBytesCheck"/> that reports the bytes hashed so far.</summary>
    public static async Task ShowAsync(Terminal terminal, ArtifactKey key, ArtifactManifest manifest, Func<IProgress<long>?, Task> check)
    {
        if (!terminal.ShowsProgress)
        {
            terminal.Out.WriteLine($"Checking size and SHA-256 of {key} ({Sizes.Describe(manifest.StoredSizeBytes)})…");
            await check(null);
            terminal.Out.WriteLine($"  size and SHA-256 {manifest.Sha256} as in the manifest");
            return;
        }

        await terminal.Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"SHA-256 {Markup.Escape(key.FileName)}", maxValue: Math.Max(1, manifest.StoredSizeBytes));
                await check(new Reporter(hashed => task.Value = hashed));
                task.Value = task.MaxValue;
            });
        terminal.Out.MarkupLine($"  size and SHA-256 [green]{manifest.Sha256}[/] as in the manifest");
    }

    /// <summary>Reports at once, on the reading thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
