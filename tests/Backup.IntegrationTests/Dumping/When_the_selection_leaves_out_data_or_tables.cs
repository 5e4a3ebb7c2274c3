using Backup.Database;
using Backup.Dumper.Dumping;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// Critical data, chosen per source: a table whose rows are skipped keeps its definition; a selection that leaves
/// out a table another one references is written down in the manifest, and fails a strict source.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_selection_leaves_out_data_or_tables(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    readonly Guid schemaOnly = Guid.NewGuid();
    readonly Guid lenient = Guid.NewGuid();
    readonly Guid strict = Guid.NewGuid();
    RecordedMetrics metrics = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        var dumper = await system.StartDumper(settings =>
        {
            // demo: everything in public and billing except sessions; audit_log's rows are left out, its table kept.
            settings.Remove("Sources:demo:ExcludeTables:0");
            settings["Sources:demo:ExcludeTables:0"] = "public.sessions";
            settings.Remove("Sources:demo:ExcludeTables:1");
            settings["Sources:demo:ExcludeTableData:0"] = "public.audit_log";
            // orders without the customers they reference, once leniently and once strictly.
            foreach (var (name, isStrict) in new[] { ("lenient", false), ("strict", true) })
            {
                settings[$"Sources:{name}:Host"] = system.Postgres.Host;
                settings[$"Sources:{name}:Port"] = system.Postgres.Port.ToString();
                settings[$"Sources:{name}:Database"] = system.SourceDatabase;
                settings[$"Sources:{name}:Username"] = system.SourceRole;
                settings[$"Sources:{name}:Password"] = system.SourcePassword;
                settings[$"Sources:{name}:IncludeTables:0"] = "public.orders";
                settings[$"Sources:{name}:Strict"] = isStrict.ToString();
            }
        });
        metrics = new RecordedMetrics(dumper);
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.RequestBackupAsync(schemaOnly, "demo");
        await rabbit.RequestBackupAsync(lenient, "lenient");
        await rabbit.RequestBackupAsync(strict, "strict");
    }

    public async Task DisposeAsync()
    {
        metrics.Dispose();
        await system.DisposeAsync();
    }

    async Task<ArtifactManifest> ManifestOf(Guid runId)
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        var key = ArtifactKey.Parse(run.ArtifactKey);
        var json = await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, key.ManifestPath));
        return System.Text.Json.JsonSerializer.Deserialize<ArtifactManifest>(json, ArtifactManifest.Contract)!;
    }

    [Fact]
    public async Task It_keeps_the_definition_of_a_table_whose_rows_are_left_out()
    {
        var manifest = await ManifestOf(schemaOnly);
        Assert.Contains("public.audit_log", manifest.SchemaOnlyTables);
        Assert.DoesNotContain(manifest.Tables, t => t.Name == "audit_log");

        var run = await system.RunAsync(schemaOnly);
        var restored = await system.RestoreAsync(Path.Combine(system.StoreRoot, run!.ArtifactKey!));
        Assert.Equal(0L, await system.Postgres.ScalarAsync<long>(restored, "SELECT count(*) FROM public.audit_log"));
        Assert.Equal(500L, await system.Postgres.ScalarAsync<long>(restored, "SELECT count(*) FROM public.customers"));
    }

    [Fact]
    public async Task It_writes_down_a_foreign_key_to_a_table_left_out()
    {
        var manifest = await ManifestOf(lenient);
        Assert.Equal(["public.orders"], manifest.Tables.Select(t => $"{t.Schema}.{t.Name}"));
        var warning = Assert.Single(manifest.Warnings);
        Assert.Contains("public.orders references public.customers", warning);
    }

    [Fact]
    public async Task It_fails_a_strict_source_whose_backup_would_not_restore_cleanly()
    {
        var run = await system.WaitForStateAsync(strict, BackupRunStates.Failed);
        Assert.Equal("IncompleteSelection", run.FailureCode);
        Assert.Contains("public.customers", run.FailureReason);
        Assert.Null(run.ArtifactKey);
        Assert.False(Directory.Exists(Path.Combine(system.StoreRoot, "strict"))
            && Directory.EnumerateFiles(Path.Combine(system.StoreRoot, "strict"), "*", SearchOption.AllDirectories).Any(),
            "a failed strict backup leaves no file in the store");
    }

    [Fact]
    public async Task Its_metrics_give_each_stored_size_and_the_strict_failure_its_error_code()
    {
        var manifests = new[] { await ManifestOf(schemaOnly), await ManifestOf(lenient) };
        await system.WaitForStateAsync(strict, BackupRunStates.Failed);

        foreach (var manifest in manifests)
        {
            var stored = Assert.Single(metrics.Of(DumperMetrics.StoredSizeName), m => m.Tag("backup.source") == manifest.Source);
            Assert.Equal(("By", (double)manifest.StoredSizeBytes), (stored.Unit, stored.Value));
            var raw = Assert.Single(metrics.Of(DumperMetrics.RawSizeName), m => m.Tag("backup.source") == manifest.Source);
            Assert.Equal((double)manifest.RawSizeBytes, raw.Value);
            var duration = Assert.Single(metrics.Of(DumperMetrics.DurationName), m => m.Tag("backup.source") == manifest.Source);
            Assert.Equal(("s", "completed", null), (duration.Unit, duration.Tag("backup.outcome"), duration.Tag("backup.error_code")));
            Assert.InRange(duration.Value, 0.001, (manifest.CompletedAt - manifest.StartedAt).TotalSeconds + 1);
        }
        var failed = Assert.Single(metrics.Of(DumperMetrics.DurationName), m => m.Tag("backup.source") == "strict");
        Assert.Equal(("failed", "IncompleteSelection"), (failed.Tag("backup.outcome"), failed.Tag("backup.error_code")));
        Assert.DoesNotContain(metrics.Of(DumperMetrics.StoredSizeName), m => m.Tag("backup.source") == "strict");
        Assert.All(metrics.Of(DumperMetrics.DurationName).SelectMany(m => m.Tags.Keys),
            tag => Assert.Contains(tag, new[] { "backup.source", "backup.outcome", "backup.error_code" }));
    }
}
