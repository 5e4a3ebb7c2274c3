using System.CommandLine;
using System.Globalization;
using Backup.Ctl.Store;
using Backup.Retention.Policy;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl retention --store DIR --dry-run [--max-age 30d] [--keep-last 3] [--keep-daily N] [--keep-weekly N]
/// [--keep-monthly N] [--time-zone UTC] [--source NAME] [--now INSTANT]</c>: what the retention policy keeps and
/// deletes among the complete backups in the store folder, decided by the same function as the retention service,
/// from the manifests alone. It deletes nothing. The service's plan is authoritative: it also knows runs pending
/// deletion, restores in progress and what restore drills proved (GET /api/v1/retention/preview shows it). Drills are
/// recorded in the catalog only (backup_verifications, drill_policies), nothing of them is in the store, so this
/// counts every complete backup as good, as the service does where drills are off, and says so.
/// </summary>
public sealed class RetentionCommand : Command
{
    readonly Option<string> store = CommonOptions.Store();
    readonly Option<bool> dryRun = new("--dry-run") { Description = "Required: only show what would be kept and deleted (backupctl never deletes)." };
    readonly Option<string?> source = new("--source") { Description = "Only this source's backups.", HelpName = "NAME" };
    readonly Option<string> maxAge = new("--max-age")
    {
        Description = "Retention:MaxAge: older backups are deleted unless another rule keeps them (30d, 12h, or d.hh:mm:ss).",
        HelpName = "AGE",
        DefaultValueFactory = _ => "30d",
    };
    readonly Option<int> keepLast = new("--keep-last") { Description = "Retention:KeepLast, the floor: the newest N good backups always stay.", DefaultValueFactory = _ => 3 };
    readonly Option<int> keepDaily = new("--keep-daily") { Description = "Retention:KeepDaily: the newest backup of each of the newest N days." };
    readonly Option<int> keepWeekly = new("--keep-weekly") { Description = "Retention:KeepWeekly: the newest backup of each of the newest N ISO weeks." };
    readonly Option<int> keepMonthly = new("--keep-monthly") { Description = "Retention:KeepMonthly: the newest backup of each of the newest N months." };
    readonly Option<string> timeZone = new("--time-zone")
    {
        Description = "Retention:TimeZone: whose days, weeks and months the calendar rules count (IANA id).",
        HelpName = "ZONE",
        DefaultValueFactory = _ => "UTC",
    };
    readonly Option<DateTimeOffset?> now = new("--now")
    {
        Description = "Decide as of this instant (ISO 8601, e.g. 2026-11-24T03:00:00Z) instead of the current time.",
        HelpName = "INSTANT",
    };

    public RetentionCommand(Terminal terminal)
        : base("retention", "Dry run of the retention policy over the store folder's manifests: what would be kept and deleted, and why. Deletes nothing.")
    {
        Add(store);
        Add(dryRun);
        Add(source);
        Add(maxAge);
        Add(keepLast);
        Add(keepDaily);
        Add(keepWeekly);
        Add(keepMonthly);
        Add(timeZone);
        Add(now);
        SetAction(BackupCtl.Guarded(terminal, (result, cancellationToken) => RunAsync(terminal, result, cancellationToken)));
    }

    async Task<int> RunAsync(Terminal terminal, ParseResult result, CancellationToken cancellationToken)
    {
        if (!result.GetValue(dryRun))
            throw CommandFailure.Usage("backupctl retention only shows what the policy would delete: add --dry-run. Deleting is the retention " +
                "service's job, from the catalog's plan (GET /api/v1/retention/preview shows it).");
        var rules = Rules(result);
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(result.GetValue(timeZone)!, out var zone))
            throw CommandFailure.Usage($"--time-zone '{result.GetValue(timeZone)}' is not a time zone this machine knows; give an IANA id such as UTC or Europe/Berlin.");
        var folder = StoreFolder.Open(result.GetValue(store));
        var only = result.GetValue(source);
        var entries = (await folder.ListAsync(cancellationToken)).Where(entry => only is null || entry.Key.Source == only).ToList();
        var complete = entries.Where(entry => entry.IsComplete).ToDictionary(entry => entry.Manifest!.RunId);

        var at = result.GetValue(now) ?? DateTimeOffset.UtcNow;
        var decisions = RetentionCalculator.Decide(
            complete.Values.Select(entry => new RetainedBackup(entry.Manifest!.RunId, entry.Key.Source, entry.Manifest.CompletedAt)),
            _ => rules, at, zone);

        terminal.OutText.WriteLine($"Retention dry run over {folder.Root} as of {Instant(at)} ({rules}; days, weeks and months in {zone.Id}). Nothing is deleted.");
        terminal.OutText.WriteLine(DrillsUnknown);
        foreach (var decision in decisions)
        {
            var entry = complete[decision.Backup.RunId];
            terminal.OutText.WriteLine(string.Join("  ", decision.Keep ? "keep  " : "DELETE", Instant(decision.Backup.CompletedAt), entry.Key.Value, decision.Reason));
        }
        foreach (var entry in entries.Where(entry => !entry.IsComplete).OrderBy(entry => entry.Key.Value, StringComparer.Ordinal))
            terminal.OutText.WriteLine(string.Join("  ", "skip  ", Instant(entry.NewestTime), entry.Key.Value, entry.Incompleteness));

        var deleted = decisions.Count(d => !d.Keep);
        terminal.OutText.WriteLine($"{decisions.Count - deleted} kept, {deleted} would be deleted, {entries.Count - complete.Count} not complete (left to the service's orphan cleanup). " +
            "This plan is from the store's manifests alone; the retention service's plan, from the catalog, is authoritative " +
            "(it also keeps what a restore is reading, carries through pending deletions and, where drills are on, counts only verified backups): " +
            "GET /api/v1/retention/preview.");
        return ExitCodes.Ok;
    }

    /// <summary>What this plan cannot know, said before the first line of it.</summary>
    public const string DrillsUnknown = "Restore drills are not seen here: their results are in the catalog, not in the store, so every complete " +
        "backup counts as good. Where drills are on for a source, the service's floor counts only verified backups and a backup whose drill " +
        "failed is not good: its plan may keep older verified backups this one deletes, and delete failed ones this one keeps.";

    RetentionRules Rules(ParseResult result)
    {
        var age = Durations.TryParse(result.GetValue(maxAge))
            ?? throw CommandFailure.Usage($"--max-age '{result.GetValue(maxAge)}' is not a positive duration; write it as 30d, 12h, 90m or d.hh:mm:ss.");
        var last = result.GetValue(keepLast);
        if (last < 1) throw CommandFailure.Usage("--keep-last must be 1 or more: the newest good backup is never deleted.");
        foreach (var (name, value) in new[] { ("--keep-daily", result.GetValue(keepDaily)), ("--keep-weekly", result.GetValue(keepWeekly)), ("--keep-monthly", result.GetValue(keepMonthly)) })
            if (value < 0) throw CommandFailure.Usage($"{name} must be 0 (off) or more.");
        return new RetentionRules(age, last, result.GetValue(keepDaily), result.GetValue(keepWeekly), result.GetValue(keepMonthly));
    }

    static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
