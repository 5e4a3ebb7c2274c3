using System.CommandLine;
using System.Globalization;
using Backup.Ctl.Store;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl list --store DIR [--source NAME]</c>: every backup in the store folder with its manifest's facts,
/// newest first; artifacts without a manifest as "incomplete (no manifest)", manifests without their artifact as
/// "missing artifact (manifest only)".
/// </summary>
public sealed class ListCommand : Command
{
    readonly Option<string> store = CommonOptions.Store();

    readonly Option<string?> source = new("--source")
    {
        Description = "Only this source's artifacts.",
        HelpName = "NAME",
    };

    public ListCommand(Terminal terminal) : base("list", "List the artifacts in a store folder with their manifests' facts, newest first.")
    {
        Add(store);
        Add(source);
        SetAction(BackupCtl.Guarded(terminal, (result, cancellationToken) => RunAsync(terminal, result, cancellationToken)));
    }

    async Task<int> RunAsync(Terminal terminal, ParseResult result, CancellationToken cancellationToken)
    {
        var folder = StoreFolder.Open(result.GetValue(store));
        var only = result.GetValue(source);
        var entries = (await folder.ListAsync(cancellationToken))
            .Where(entry => only is null || entry.Key.Source == only)
            .OrderByDescending(entry => entry.NewestTime)
            .ThenBy(entry => entry.Key.Value, StringComparer.Ordinal)
            .ToList();

        if (entries.Count == 0)
        {
            terminal.Out.WriteLine(only is null
                ? $"No artifacts in {folder.Root}."
                : $"No artifacts of source '{only}' in {folder.Root}.");
            return ExitCodes.Ok;
        }

        var table = new Table()
            .AddColumn(new TableColumn("Key").NoWrap())
            .AddColumn("Source")
            .AddColumn(new TableColumn("Run id").NoWrap())
            .AddColumn(new TableColumn("Completed (UTC)").NoWrap())
            .AddColumn(new TableColumn("Stored").RightAligned())
            .AddColumn(new TableColumn("Tables").RightAligned())
            .AddColumn("Encrypted")
            .AddColumn("SHA-256");
        foreach (var entry in entries)
            table.AddRow(Row(entry));
        terminal.Out.Write(table);

        var incomplete = entries.Count(entry => !entry.IsComplete);
        terminal.Out.WriteLine($"{entries.Count} artifact{(entries.Count == 1 ? "" : "s")}: {entries.Count - incomplete} complete, {incomplete} incomplete.");
        return ExitCodes.Ok;
    }

    static string[] Row(StoreEntry entry)
    {
        var manifest = entry.Manifest;
        var key = Markup.Escape(entry.Key.Value);
        var runId = entry.RunId.ToString("N");
        if (entry.Incompleteness is { } problem)
        {
            var status = $"[yellow]{Markup.Escape(problem)}[/]";
            return manifest is null
                ? [key, entry.Key.Source, runId, status, "-", "-", "-", "-"]
                : [key, entry.Key.Source, runId, status, Sizes.Describe(manifest.StoredSizeBytes), Tables(manifest), Encrypted(manifest), Prefix(manifest)];
        }

        return
        [
            key,
            Markup.Escape(manifest!.Source),
            runId,
            manifest.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            Sizes.Describe(manifest.StoredSizeBytes),
            Tables(manifest),
            Encrypted(manifest),
            Prefix(manifest),
        ];
    }

    static string Tables(Backup.Storage.ArtifactManifest manifest) => manifest.Tables.Count.ToString(CultureInfo.InvariantCulture);

    static string Encrypted(Backup.Storage.ArtifactManifest manifest) => manifest.Encryption is null ? "no" : "yes";

    static string Prefix(Backup.Storage.ArtifactManifest manifest) => manifest.Sha256.Length >= 12 ? manifest.Sha256[..12] : manifest.Sha256;
}
