namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>Compares a restored database with the source, table by table, by row count and by content.</summary>
public static class RestoredDatabase
{
    /// <summary>
    /// Every dumped table's row count and an md5 over all its rows, in the source and in <paramref name="restored"/>
    /// (on the source's server, or on <paramref name="server"/>).
    /// </summary>
    public static async Task AssertEqualToSourceAsync(DemoSource source, string restored, PostgresServer? server = null)
    {
        server ??= source.Postgres;
        foreach (var table in source.Tables)
        {
            var name = $"{table.Schema}.{table.Name}";
            Assert.Equal(table.Rows, await server.CountAsync(restored, name));
            var fingerprint = $"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {name} t";
            Assert.Equal(await source.Postgres.ScalarAsync<string>(source.Database, fingerprint),
                await server.ScalarAsync<string>(restored, fingerprint));
        }
    }
}
