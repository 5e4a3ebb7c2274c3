using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

/// <summary>
/// backupctl verify --restore: the restore drill from a bare store folder, against a server on the command line (the
/// bare server infra.sh starts, with none of the source's roles): exact row counts, the archive's objects and
/// sequences, the given checks, the steps timed, the scratch database dropped; a failed proof is its own exit code.
/// </summary>
public sealed class When_a_backup_is_drilled_from_a_bare_store(DemoSourceWithRoles source) : IClassFixture<DemoSourceWithRoles>, IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task It_proves_the_backup_with_exact_counts_timed_steps_and_the_checks_and_leaves_no_scratch_database()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await DrillAsync(key.Value, "--check", "customers=SELECT count(*) > 0 FROM public.customers");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        foreach (var table in source.Tables)
            Assert.Matches($@"│ {table.Schema}\.{table.Name}\s*│\s*{table.Rows} │\s*{table.Rows} │ yes\s*│", run.Output);
        foreach (var step in new[] { "fetch", "decode", "schema", "data", "indexes", "verify", "checks" })
            Assert.Matches($@"│ {step}\s*│\s*\d+\.\d{{3}} │", run.Output);
        Assert.Contains("check customers: true", run.Output);
        Assert.Contains("VERIFIED", run.Output);
        Assert.Contains("measured recovery time", run.Output);
        Assert.False(await source.Bare.DatabaseExistsAsync(await ScratchOfAsync(key)), "the scratch database was dropped");
    }

    [Fact]
    public async Task A_check_that_is_not_true_fails_the_drill_with_its_own_exit_code_naming_the_check()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await DrillAsync(key.Value, "--check", "none-left=SELECT count(*) = 0 FROM public.orders");

        Assert.True(run.ExitCode == ExitCodes.DrillFailed, run.ToString());
        Assert.Contains("check none-left: returned false", run.Errors.ReplaceLineEndings(" "));
        Assert.Contains("CheckFailed", run.Errors);
        Assert.False(await source.Bare.DatabaseExistsAsync(await ScratchOfAsync(key)), "the scratch database was dropped");
    }

    [Fact]
    public async Task It_refuses_to_drill_on_the_sources_own_server_unless_allowed()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await Backupctl.RunProcessAsync(
            new Dictionary<string, string> { ["PGPASSFILE"] = source.Postgres.WritePassFile(store.Workspace) },
            ["verify", "--store", store.Root, key.Value, "--restore", .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.DatabaseFailed, run.ToString());
        Assert.Contains("may be the source's own server", run.Errors.ReplaceLineEndings(" "));
        Assert.Contains("--allow-source-server", run.Errors);
    }

    [Fact]
    public async Task A_bad_check_is_refused_before_anything_runs()
    {
        var run = await Backupctl.RunAsync("verify", "--store", store.Root, "demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst",
            "--restore", "--check", "no equals sign");

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("is not NAME=SQL", run.All);
    }

    /// <summary>The drill's scratch database: backup_drill_ and the run id of the artifact's manifest.</summary>
    async Task<string> ScratchOfAsync(Backup.Storage.ArtifactKey key)
    {
        var manifest = System.Text.Json.JsonSerializer.Deserialize<Backup.Storage.ArtifactManifest>(
            await File.ReadAllTextAsync(Path.Combine(store.Root, key.ManifestPath)), Backup.Storage.ArtifactManifest.Contract)!;
        return "backup_drill_" + manifest.RunId.ToString("N");
    }

    Task<CtlRun> DrillAsync(string key, params string[] more) =>
        Backupctl.RunProcessAsync(
            new Dictionary<string, string> { ["PGPASSFILE"] = source.Bare.WritePassFile(store.Workspace) },
            ["verify", "--store", store.Root, key, "--restore", .. Connection.To(source.Bare), .. more]);

    public void Dispose() => store.Dispose();
}
