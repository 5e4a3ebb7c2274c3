using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using MimeKit;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>
/// The walking skeleton end to end: a non-.NET service publishes BackupRequested as plain JSON bytes (the wire
/// format of specs/011-automated-backup/asyncapi.yaml) → the dumper runs the real pg_dump → the artifact lands in the
/// store with the SHA-256 of BackupCompleted → stock pg_restore brings back the critical tables, row for row, and
/// nothing else → the administrators get it by email → the catalog says Delivered.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_platform_service_publishes_raw_json_BackupRequested(TestInfrastructure infrastructure)
    : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    JsonElement completed;
    string artifactPath = "";

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartNotifier();
        await system.StartRetention();
        rabbit = await RawRabbit.ConnectAsync(system);
        var completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");

        // Exactly the example of specs/011-automated-backup/asyncapi.yaml, with a run id of this test's own.
        var envelope = AsyncApiExamples.Payload("BackupRequested", "request-a-backup");
        envelope["message"]!["runId"] = runId.ToString();
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", envelope.ToJsonString(),
            AsyncApiExamples.ContentType("BackupRequested"));

        completed = await Eventually.Get(
            () => Task.FromResult(completions.Where(m => m.GetProperty("runId").GetGuid() == runId).Select(m => (object)m).FirstOrDefault()),
            "BackupCompleted on the bus") is JsonElement message ? message : default;
        artifactPath = Path.Combine(system.StoreRoot, completed.GetProperty("artifactKey").GetString()!);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_stores_an_artifact_whose_SHA256_is_the_one_in_BackupCompleted()
    {
        var bytes = await File.ReadAllBytesAsync(artifactPath);
        Assert.Equal(completed.GetProperty("sizeBytes").GetInt64(), bytes.LongLength);
        Assert.Equal(completed.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], bytes[..4]); // a zstd frame…
        using var archive = new ZstdSharp.DecompressionStream(new MemoryStream(bytes));
        var head = new byte[5];
        archive.ReadExactly(head);
        Assert.Equal("PGDMP", System.Text.Encoding.ASCII.GetString(head)); // …holding a pg_dump custom archive
        Assert.StartsWith("demo/", completed.GetProperty("artifactKey").GetString());
        Assert.EndsWith(".dump.zst", completed.GetProperty("artifactKey").GetString());
    }

    [Fact]
    public async Task It_writes_a_manifest_beside_it_with_the_tables_their_row_counts_and_the_checksum()
    {
        var manifestPath = artifactPath[..artifactPath.IndexOf(".dump", StringComparison.Ordinal)] + ".manifest.json";
        var manifest = System.Text.Json.JsonSerializer.Deserialize<Backup.Storage.ArtifactManifest>(
            await File.ReadAllTextAsync(manifestPath), Backup.Storage.ArtifactManifest.Contract)!;

        Assert.Equal(runId, manifest.RunId);
        Assert.Equal(completed.GetProperty("sha256").GetString(), manifest.Sha256);
        Assert.Equal(new FileInfo(artifactPath).Length, manifest.StoredSizeBytes);
        Assert.True(manifest.RawSizeBytes > manifest.StoredSizeBytes, "zstd made the archive smaller");
        Assert.Equal(new Backup.Storage.ManifestCompression("zstd", 3), manifest.Compression);
        Assert.Null(manifest.Encryption);
        Assert.StartsWith("15", manifest.ServerVersion);
        Assert.Contains("pg_dump (PostgreSQL) 15", manifest.PgDumpVersion);
        Assert.Equal(["billing.invoices", "public.customers", "public.orders"],
            manifest.Tables.Select(t => $"{t.Schema}.{t.Name}").Order());
        foreach (var table in manifest.Tables)
            Assert.Equal(await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {table.Schema}.{table.Name}"), table.Rows);
        Assert.Empty(manifest.Warnings);
    }

    [Fact]
    public async Task It_restores_with_stock_pg_restore_every_critical_table_row_for_row_and_no_excluded_table()
    {
        var restored = await system.RestoreAsync(artifactPath);

        foreach (var table in new[] { "public.customers", "public.orders", "billing.invoices" })
        {
            var source = await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {table}");
            var copy = await system.Postgres.ScalarAsync<long>(restored, $"SELECT count(*) FROM {table}");
            Assert.True(source > 0, $"the source's {table} was seeded");
            Assert.Equal(source, copy);
            var sourceSum = await system.Postgres.ScalarAsync<string>(system.SourceDatabase, $"SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM {table} t");
            var copySum = await system.Postgres.ScalarAsync<string>(restored, $"SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM {table} t");
            Assert.Equal(sourceSum, copySum);
        }
        foreach (var excluded in new[] { "public.audit_log", "public.sessions" })
            Assert.True(await system.Postgres.ScalarAsync<bool>(restored, $"SELECT to_regclass('{excluded}') IS NULL"),
                $"{excluded} is excluded from the backup and must not be restored");
    }

    [Fact]
    public async Task It_emails_the_administrators_an_attachment_with_the_same_SHA256()
    {
        var mail = await system.Mail.WaitForAsync(m => m.Attachments.Any(), "the backup email");
        Assert.Equal(BackupSystem.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains("demo", mail.Subject);

        var attachment = Assert.Single(mail.Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        await attachment.Content!.DecodeToAsync(decoded);
        Assert.Equal(completed.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(decoded.ToArray())));
        Assert.Contains("pg_restore", mail.TextBody ?? "");
    }

    [Fact]
    public async Task It_records_the_run_in_the_catalog_as_Delivered()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Delivered);
        Assert.Equal("demo", run.Source);
        Assert.Equal("billing-service", run.RequestedBy);
        Assert.Equal(completed.GetProperty("sha256").GetString(), run.Sha256);
        Assert.Equal(completed.GetProperty("artifactKey").GetString(), run.ArtifactKey);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.CompletedAt);
        Assert.NotNull(run.DeliveredAt);
    }
}
