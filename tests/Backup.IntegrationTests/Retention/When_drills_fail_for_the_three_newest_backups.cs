using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.Ctl;
using Backup.Ctl.Commands;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// Retention counts only what restore drills proved (issue 13, item 5), under a MaxAge of 2 days and the floor of 3,
/// daily backups an hour before now's time of day:
/// <list type="bullet">
/// <item>"demo", drills on: the three newest backups failed their drills, the five before passed. The floor is the
/// newest three verified backups (3 to 5 days old); the two failed ones within 2 days stay by age only; the failed one
/// older than that and the older verified ones go.</item>
/// <item>"billing", drills off, with the same drill results in the catalog (drills turned off since): today's rule,
/// the floor is its newest three backups, failed drills or not.</item>
/// <item>"fresh", drills on and nothing verified yet: the newest pending one and two that no drill has checked (from
/// before drills were on) fill the floor; of the two that failed, the one within 2 days stays by age.</item>
/// </list>
/// The drill results and drill policies are written straight into backup_verifications and drill_policies, as the
/// catalog's BackupVerificationRecorder (from the drill's events) and the restorer's drill intake would write them.
/// Before the sweep, the API's dry run is asked what would go and why; then the real retention service sweeps the
/// real catalog and store, and the API's dry run is asked again.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_drills_fail_for_the_three_newest_backups(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly DateTimeOffset now = RetentionScenario.RealNow();
    RetentionScenario scenario = null!;
    WebApplication retention = null!;
    JsonElement before;
    JsonElement after;
    string ctlOutput = "";

    /// <summary>What each seeded backup's drill said: its state in backup_verifications (null: no row) and error code.</summary>
    readonly Dictionary<Guid, (string? State, string? ErrorCode)> drills = [];

    SeededBackup Seeded(string source, int age) =>
        scenario.Backups.Single(b => b.Source == source && b.CompletedAt == now.AddDays(-age).AddHours(-1));

    /// <summary>Computed here from the scenario's description, not by the production function.</summary>
    HashSet<Guid> ExpectedKept() =>
    [
        .. new[] { 0, 1, 3, 4, 5 }.Select(age => Seeded("demo", age).RunId),
        .. new[] { 0, 1, 2 }.Select(age => Seeded("billing", age).RunId),
        .. new[] { 0, 1, 3, 4 }.Select(age => Seeded("fresh", age).RunId),
    ];

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, now, new() { ["Retention:MaxAge"] = "2.00:00:00" });
        string?[] failures = ["RowCountMismatch", "CheckFailed", "RestoreFailed"];
        foreach (var source in new[] { "demo", "billing" })
            for (var age = 0; age < 8; age++)
            {
                var backup = await scenario.AddAsync(source, now.AddDays(-age).AddHours(-1));
                drills[backup.RunId] = age < 3 ? ("failed", failures[age]) : ("passed", null);
            }
        (string?, string?)[] fresh = [("pending", null), ("failed", "ObjectMissing"), ("failed", "SequenceMismatch"), (null, null), (null, null)];
        for (var age = 0; age < fresh.Length; age++)
            drills[(await scenario.AddAsync("fresh", now.AddDays(-age).AddHours(-1))).RunId] = fresh[age];
        await scenario.WaitUntilCatalogedAsync();
        await SeedDrillsAsync();

        retention = await scenario.StartRetentionAsync();
        using (var api = new ApiHost(scenario.System, scenario.Configure))
        using (var reader = api.ClientAs("reader-1", "backup.reader"))
        {
            before = await reader.GetFromJsonAsync<JsonElement>("/api/v1/retention/preview");
            var output = new StringWriter();
            var exit = await BackupCtl.RunAsync(["retention", "--store", scenario.System.StoreRoot, "--dry-run", "--source", "demo", "--max-age", "2d",
                "--now", now.ToString("O", CultureInfo.InvariantCulture)], Terminal.Capture(output, new StringWriter()));
            Assert.Equal(0, exit);
            ctlOutput = output.ToString();

            await RetentionScenario.SweepAsync(retention);
            // Whatever the sweep deleted (not what this test expects, so that a wrong answer fails on its assertions).
            await WaitUntilDeletedRunsExpiredAsync();
            after = await reader.GetFromJsonAsync<JsonElement>("/api/v1/retention/preview");
        }
    }

    /// <summary>Waits until every run whose artifact the sweep deleted (artifact_deletions.deleted_at set) is Expired.</summary>
    Task WaitUntilDeletedRunsExpiredAsync() => Eventually.True(async () =>
    {
        await using var catalog = scenario.System.Catalog();
        var deleted = await catalog.ArtifactDeletions.AsNoTracking().Where(d => d.DeletedAt != null).Select(d => d.RunId).ToListAsync();
        var states = await scenario.StatesAsync();
        return deleted.All(id => states[id] == BackupRunStates.Expired);
    }, "every run the sweep deleted to be Expired", TimeSpan.FromSeconds(120));

    /// <summary>As the catalog's recorder and the drill service write them (the recorder's columns; the drill service's policy row).</summary>
    async Task SeedDrillsAsync()
    {
        await using var catalog = scenario.System.Catalog();
        foreach (var backup in scenario.Backups)
        {
            if (drills[backup.RunId] is not (string state, var errorCode)) continue;
            DateTimeOffset? finished = state == "pending" ? null : backup.CompletedAt.AddMinutes(10);
            var reason = errorCode is null ? null : $"the drill failed: {errorCode}";
            await catalog.Database.ExecuteSqlAsync($"""
                INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, started_at, finished_at, recovery_seconds,
                    rto_target_seconds, error_code, reason, failures, steps, tables, checks, updated_at)
                VALUES ({backup.RunId}, {backup.Source}, {backup.Key.Value}, {state}, {backup.CompletedAt}, {backup.CompletedAt.AddMinutes(1)},
                    {finished}, {(state == "passed" ? 540.0 : null)}, {1800.0}, {errorCode}, {reason}, '[]'::jsonb, '[]'::jsonb, '[]'::jsonb,
                    '[]'::jsonb, {backup.CompletedAt.AddMinutes(10)})
                """);
        }
        // Drills on for demo and fresh; billing has none (drills off).
        foreach (var source in new[] { "demo", "fresh" })
            await catalog.Database.ExecuteSqlAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES ({source}, {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {now})
                """);
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    static Dictionary<Guid, JsonElement> Candidates(JsonElement preview, string source, string list) =>
        preview.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == source)
            .GetProperty(list).EnumerateArray().ToDictionary(c => c.GetProperty("runId").GetGuid());

    static string Reason(JsonElement preview, string source, Guid runId) =>
        (Candidates(preview, source, "kept").TryGetValue(runId, out var kept) ? kept : Candidates(preview, source, "wouldDelete")[runId])
        .GetProperty("reason").GetString()!;

    [Fact]
    public async Task The_older_verified_backups_stay_and_the_sweep_deleted_what_the_dry_run_said()
    {
        var runs = await scenario.RunsAsync();
        var kept = ExpectedKept();
        Assert.All(scenario.Backups, b =>
        {
            Assert.Equal(kept.Contains(b.RunId) ? BackupRunStates.Completed : BackupRunStates.Expired, runs[b.RunId].CurrentState);
            Assert.Equal(kept.Contains(b.RunId), b.InStore);
            Assert.Equal(kept.Contains(b.RunId), File.Exists(b.ManifestPath));
        });
        // The three newest verified backups of demo, 3 to 5 days old, are all in the store.
        Assert.All(new[] { 3, 4, 5 }.Select(age => Seeded("demo", age)), b => Assert.True(b.InStore, $"{b.Key} is verified and in the floor"));

        // The dry run listed exactly what the sweep then deleted, and afterwards has nothing left to delete.
        var deleted = scenario.Backups.Where(b => !kept.Contains(b.RunId)).Select(b => b.RunId).Order().ToList();
        Assert.Equal(deleted, before.GetProperty("wouldDelete").EnumerateArray().Select(c => c.GetProperty("runId").GetGuid()).Order());
        Assert.Equal(0, after.GetProperty("wouldDelete").GetArrayLength());
        Assert.Equal(0, (await RetentionScenario.SweepAsync(retention)).Expired);

        // The deletion of demo's failed backup carries why it was not kept.
        Assert.Equal($"age: completed {Seeded("demo", 2).CompletedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, older than 2 days; not good: its restore " +
            "drill failed (RestoreFailed), so neither the floor nor a calendar rule keeps it", runs[Seeded("demo", 2).RunId].ExpiryReason);
        Assert.StartsWith("age: completed", runs[Seeded("demo", 6).RunId].ExpiryReason);
    }

    [Fact]
    public void The_dry_run_says_why_in_words()
    {
        var sources = before.GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("source").GetString()!, s => s.GetProperty("drillsOn").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["billing"] = false, ["demo"] = true, ["fresh"] = true }, sources);

        Assert.All(new[] { 3, 4, 5 }, age => Assert.Equal("floor: one of the newest 3 verified backups of demo", Reason(before, "demo", Seeded("demo", age).RunId)));
        Assert.Equal("passed", Candidates(before, "demo", "kept")[Seeded("demo", 3).RunId].GetProperty("verification").GetString());
        Assert.EndsWith("within 2 days; not good: its restore drill failed (RowCountMismatch), so it does not count for the floor",
            Reason(before, "demo", Seeded("demo", 0).RunId));
        var failed = Candidates(before, "demo", "wouldDelete")[Seeded("demo", 2).RunId];
        Assert.Equal("failed", failed.GetProperty("verification").GetString());
        Assert.Contains("not good: its restore drill failed (RestoreFailed)", failed.GetProperty("reason").GetString());

        // Drills off: the failed drills change nothing.
        Assert.All(new[] { 0, 1, 2 }, age => Assert.Equal("floor: one of the newest 3 good backups of billing", Reason(before, "billing", Seeded("billing", age).RunId)));

        // Nothing verified yet: the newest unproven ones stand in.
        Assert.Equal("floor: no backup of fresh is verified yet, so the newest 3 unproven ones stand in (this one: its drill is pending)",
            Reason(before, "fresh", Seeded("fresh", 0).RunId));
        Assert.EndsWith("(this one: no drill has checked it)", Reason(before, "fresh", Seeded("fresh", 4).RunId));
        Assert.Equal(JsonValueKind.Null, Candidates(before, "fresh", "kept")[Seeded("fresh", 4).RunId].GetProperty("verification").ValueKind);
        Assert.Contains("not good: its restore drill failed (SequenceMismatch)", Reason(before, "fresh", Seeded("fresh", 2).RunId));
    }

    [Fact]
    public void Backupctl_says_it_cannot_see_the_drills_and_decides_as_if_they_were_off()
    {
        // From the store alone: the floor is demo's three newest backups, and its verified ones would go.
        Assert.Contains(RetentionCommand.DrillsUnknown, ctlOutput);
        var lines = ctlOutput.Split('\n');
        Assert.All(new[] { 0, 1, 2 }, age => Assert.EndsWith("floor: one of the newest 3 good backups of demo",
            lines.Single(line => line.Contains(Seeded("demo", age).Key.Value, StringComparison.Ordinal)).TrimEnd()));
        Assert.All(new[] { 3, 4, 5 }, age => Assert.StartsWith("DELETE",
            lines.Single(line => line.Contains(Seeded("demo", age).Key.Value, StringComparison.Ordinal))));
    }
}
