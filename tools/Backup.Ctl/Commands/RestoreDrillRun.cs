using System.CommandLine;
using System.Globalization;
using Backup.Contracts;
using Backup.Ctl.Store;
using Backup.Recovery;
using Backup.Recovery.Drills;
using Backup.Recovery.Postgres;
using Backup.Retention.Policy;
using Backup.Storage;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl verify --restore</c>: the restorer's restore drill (<see cref="RestoreDrill"/>), run from a bare store
/// folder against the server on the command line: the artifact restored into a scratch database there, every table
/// counted exactly against the manifest, every object of the archive and every sequence value checked, the checks
/// given with --check run read-only, each step timed and the whole compared with --rto-target; the scratch database
/// is always dropped.
/// </summary>
public sealed class RestoreDrillRun
{
    readonly Option<bool> restore = new("--restore")
    {
        Description = "Prove the artifact by restoring it: a restore drill into a scratch database (backup_drill_<run id>) on the server given by " +
            "--host/--port/--username, which must not be the source's own server (a database named like the source's there refuses the drill, unless --allow-source-server).",
    };
    readonly ServerOptions server = new();
    readonly Option<string[]> checks = new("--check")
    {
        Description = "With --restore: a check NAME=SQL, a read-only query that must return true on the restored data (e.g. invoices=\"SELECT count(*) > 0 FROM billing.invoices\"). Repeatable.",
        HelpName = "NAME=SQL",
        AllowMultipleArgumentsPerToken = false,
    };
    readonly Option<string> rtoTarget = new("--rto-target")
    {
        Description = "With --restore: the recovery time objective the measured recovery time is compared with (30m, 2h, 1d).",
        DefaultValueFactory = _ => "30m",
        HelpName = "DURATION",
    };
    readonly Option<bool> allowSourceServer = new("--allow-source-server") { Description = "With --restore: drill even on a server that has a database named like the source's." };
    readonly Option<int> jobs = new("--jobs", "-j") { Description = "With --restore: sessions loading and counting, and pg_restore's jobs.", DefaultValueFactory = _ => 2, HelpName = "N" };

    public void AddTo(Command command)
    {
        command.Add(restore);
        server.AddTo(command);
        command.Add(checks);
        command.Add(rtoTarget);
        command.Add(allowSourceServer);
        command.Add(jobs);
        rtoTarget.Validators.Add(result =>
        {
            if (Durations.TryParse(result.GetValueOrDefault<string>()) is null)
                result.AddError($"--rto-target '{result.GetValueOrDefault<string>()}' is not a duration: give e.g. 30m, 2h or 1d.");
        });
        jobs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
                result.AddError("--jobs must be between 1 and 64.");
        });
        checks.Validators.Add(result =>
        {
            foreach (var check in result.GetValueOrDefault<string[]>() ?? [])
                if (ParseCheck(check) is null)
                    result.AddError($"--check '{check}' is not NAME=SQL (a name of letters, digits, '-' and '_', then '=', then a query).");
        });
    }

    public bool Requested(ParseResult result) => result.GetValue(restore);

    /// <summary>Runs the drill of <paramref name="artifact"/>; the exit code for its outcome.</summary>
    public async Task<int> RunAsync(Terminal terminal, ParseResult result, StoreFolder folder, ArtifactKey artifact,
        Backup.Storage.Encryption.DecryptionKeys? keys, string? pgBin, CancellationToken cancellationToken)
    {
        var target = Durations.TryParse(result.GetValue(rtoTarget))!.Value;
        var settings = new DrillSettings
        {
            Restore = new RestoreSettings
            {
                Store = folder.Store,
                StoreRoot = folder.Root,
                Server = server.Resolve(result, terminal),
                Tools = PgClientTools.Locate(pgBin, BackupCtl.Caller),
                Caller = BackupCtl.Caller,
                DecryptionKeys = keys,
                Jobs = result.GetValue(jobs),
            },
            Checks = [.. (result.GetValue(checks) ?? []).Select(c => ParseCheck(c)!)],
            AllowSourceServer = result.GetValue(allowSourceServer),
            AllowSourceServerSetting = "--allow-source-server",
        };
        var runId = (await folder.ReadCompleteAsync(artifact, cancellationToken)).RunId;
        terminal.Out.WriteLine($"Drilling {artifact} on {settings.Restore.Server.Describe()} (scratch database {ScratchDatabases.NameFor(runId)})");
        var report = await RestoreDrill.RunAsync(settings, artifact, runId, progress: null, cancellationToken);

        var steps = new Table().AddColumn("Step").AddColumn(new TableColumn("Seconds").RightAligned());
        foreach (var step in report.Steps)
            steps.AddRow(step.Name, step.Duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
        terminal.Out.Write(steps);
        if (report.Tables.Count > 0)
        {
            var counts = new Table().AddColumn("Table").AddColumn(new TableColumn("In the dump").RightAligned())
                .AddColumn(new TableColumn("Restored").RightAligned()).AddColumn("OK");
            foreach (var table in report.Tables)
                counts.AddRow(Markup.Escape(table.Table), table.Expected.ToString(CultureInfo.InvariantCulture),
                    table.Restored?.ToString(CultureInfo.InvariantCulture) ?? "missing", table.Matches ? "[green]yes[/]" : "[red]NO[/]");
            terminal.Out.Write(counts);
        }
        foreach (var check in report.Checks)
            terminal.Out.MarkupLine($"  check {Markup.Escape(check.Name)}: {(check.Passed ? "[green]true[/]" : $"[red]{Markup.Escape(check.Detail ?? "failed")}[/]")}");

        var recovery = report.RecoveryTime;
        var time = $"measured recovery time {recovery.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s (target {Durations.Describe(target)})";
        if (!report.Passed)
        {
            foreach (var failure in report.Failures)
                terminal.Errors.MarkupLine($"[red]  {Markup.Escape(failure)}[/]");
            terminal.Errors.MarkupLine($"[red]FAILED[/] {Markup.Escape(artifact.Value)}: {Markup.Escape(report.ErrorCode!)}. {Markup.Escape(report.Reason ?? "")}");
            return ExitCodes.ForDrill(report.ErrorCode!);
        }
        terminal.Out.MarkupLine($"[green]VERIFIED[/] {Markup.Escape(artifact.Value)}: restored on {Markup.Escape(settings.Restore.Server.Describe())}, " +
            $"{report.Tables.Count} tables exact, every object and sequence of the archive in place, {report.Checks.Count} check(s) true; {time}" +
            (recovery > target ? " [yellow]OVER THE TARGET[/]" : ""));
        return ExitCodes.Ok;
    }

    static DrillCheckQuery? ParseCheck(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0 || equals == text.Length - 1) return null;
        var name = text[..equals];
        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && !string.IsNullOrWhiteSpace(text[(equals + 1)..])
            ? new DrillCheckQuery(name, text[(equals + 1)..])
            : null;
    }
}
