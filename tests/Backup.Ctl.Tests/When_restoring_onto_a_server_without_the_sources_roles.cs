using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

/// <summary>
/// The disaster as it really comes: a fresh PostgreSQL server (the bare one infra.sh starts, whose only role is its
/// superuser dr_admin) and an archive whose tables are owned by, and granted to, roles of the source's server. By
/// default backupctl restores without owners and privileges, so the restore goes through; --keep-privileges keeps them
/// where the roles exist, and fails where they don't, leaving no database behind unless --keep-failed asks for it.
/// </summary>
public sealed class When_restoring_onto_a_server_without_the_sources_roles(DemoSourceWithRoles source)
    : IClassFixture<DemoSourceWithRoles>, IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task It_restores_every_row_owned_by_the_restoring_role_and_without_the_sources_grants()
    {
        Assert.False(await source.Bare.RoleExistsAsync(source.OwnerRole));
        Assert.False(await source.Bare.RoleExistsAsync(source.ReaderRole));
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewBareTargetName();

        var run = await RestoreAsync(source.Bare, key.Value, target);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        foreach (var table in source.Tables)
            Assert.Matches($@"│ {table.Schema}\.{table.Name}\s*│\s*{table.Rows} │\s*{table.Rows} │ yes\s*│", run.Output);
        await RestoredDatabase.AssertEqualToSourceAsync(source, target, source.Bare);
        Assert.Equal(source.Bare.Username, await source.Bare.ScalarAsync<string>(target, "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'billing' AND tablename = 'invoices'"));
        Assert.True(await source.Bare.ScalarAsync<bool>(target, "SELECT relacl IS NULL FROM pg_class WHERE oid = 'billing.invoices'::regclass"), "no grant was restored");
    }

    [Fact]
    public async Task With_keep_privileges_it_fails_on_the_missing_roles_and_drops_the_half_restored_database()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewBareTargetName();

        var run = await RestoreAsync(source.Bare, key.Value, target, "--keep-privileges");

        Assert.True(run.ExitCode == ExitCodes.DatabaseFailed, run.ToString());
        Assert.Contains("does not exist", run.Errors);
        Assert.Contains($"created database {target}", run.Output);
        Assert.Contains($"database {target} was dropped", run.Errors.ReplaceLineEndings(" "));
        Assert.Contains("--keep-failed", run.Errors);
        Assert.Contains("without --keep-privileges", run.Errors.ReplaceLineEndings(" "));
        Assert.False(await source.Bare.DatabaseExistsAsync(target));
    }

    [Fact]
    public async Task With_keep_privileges_and_keep_failed_it_keeps_the_half_restored_database_for_inspection()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewBareTargetName();

        var run = await RestoreAsync(source.Bare, key.Value, target, "--keep-privileges", "--keep-failed");

        Assert.True(run.ExitCode == ExitCodes.DatabaseFailed, run.ToString());
        Assert.Contains("does not exist", run.Errors);
        Assert.Contains($"database {target} is kept for inspection", run.Errors.ReplaceLineEndings(" "));
        Assert.True(await source.Bare.DatabaseExistsAsync(target));
    }

    [Fact]
    public async Task With_keep_privileges_on_a_server_that_has_the_roles_it_keeps_the_owners_and_grants()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await RestoreAsync(source.Postgres, key.Value, target, "--keep-privileges");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
        Assert.Equal(source.OwnerRole, await source.Postgres.ScalarAsync<string>(target, "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'billing' AND tablename = 'invoices'"));
        Assert.True(await source.Postgres.ScalarAsync<bool>(target, $"SELECT has_schema_privilege('{source.ReaderRole}', 'billing', 'USAGE') AND has_table_privilege('{source.ReaderRole}', 'public.orders', 'SELECT')"));
    }

    /// <summary>backupctl as an operator runs it, as its own process, the password in a PGPASSFILE.</summary>
    Task<CtlRun> RestoreAsync(PostgresServer server, string key, string target, params string[] more) =>
        Backupctl.RunProcessAsync(
            new Dictionary<string, string> { ["PGPASSFILE"] = server.WritePassFile(store.Workspace) },
            ["restore", "--store", store.Root, key, "--target-database", target, "--jobs", "2", .. Connection.To(server), .. more]);

    public void Dispose() => store.Dispose();
}
