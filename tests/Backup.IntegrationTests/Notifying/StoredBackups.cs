using System.Security.Cryptography;
using Backup.Database;
using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// Artifacts put in a test system's real store through the store's own API (random bytes of a chosen size, with a
/// manifest naming two tables), and the BackupCompleted the dumper would publish for them.
/// </summary>
public static class StoredBackups
{
    public static readonly ManifestTable[] Tables = [new("public", "customers", 500), new("billing", "invoices", 1234)];

    public static async Task<BackupCompleted> StoreAsync(BackupSystem system, int sizeBytes, string source = "demo", bool encrypted = false,
        DateTimeOffset? completedAt = null)
    {
        var runId = Guid.NewGuid();
        var completed = completedAt ?? DateTimeOffset.UtcNow;
        var key = ArtifactKey.Create(source, runId, completed, encrypted ? ArtifactEncoding.ZstdOpenPgp : ArtifactEncoding.Zstd);
        var store = new FileSystemArtifactStore(Microsoft.Extensions.Options.Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var bytes = RandomNumberGenerator.GetBytes(sizeBytes);
        await using (var write = await store.BeginWriteAsync(key, CancellationToken.None))
        {
            await write.Content.WriteAsync(bytes);
            await write.CommitAsync(CancellationToken.None);
        }
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var format = encrypted ? "pg_dump-custom+zstd+openpgp" : "pg_dump-custom+zstd";
        await store.WriteManifestAsync(new ArtifactManifest
        {
            RunId = runId,
            Source = source,
            ArtifactKey = key.Value,
            Format = format,
            StartedAt = completed.AddSeconds(-42),
            CompletedAt = completed,
            Database = "demo_app",
            ServerVersion = "15.8",
            PgDumpVersion = "15.8",
            Tables = Tables,
            RawSizeBytes = sizeBytes * 3L,
            StoredSizeBytes = sizeBytes,
            Compression = new ManifestCompression("zstd", 3),
            Encryption = encrypted ? new ManifestEncryption("openpgp", ["0123456789ABCDEF ops@example.com"]) : null,
            Sha256 = sha256,
        }, CancellationToken.None);
        return new BackupCompleted
        {
            RunId = runId,
            Source = source,
            StartedAt = completed.AddSeconds(-42),
            CompletedAt = completed,
            ArtifactKey = key.Value,
            SizeBytes = sizeBytes,
            Sha256 = sha256,
            Format = format,
        };
    }

    public static BackupFailed Failure(string source = "demo", string errorCode = "ConnectionFailed") => new()
    {
        RunId = Guid.NewGuid(),
        Source = source,
        FailedAt = DateTimeOffset.UtcNow,
        ErrorCode = errorCode,
        Reason = $"pg_dump of source '{source}' could not connect: connection refused (test)",
    };

    /// <summary>The SHA-256 of each attachment of the message, decoded from base64.</summary>
    public static async Task<List<string>> AttachmentHashesAsync(MimeMessage message)
    {
        var hashes = new List<string>();
        foreach (var attachment in message.Attachments.OfType<MimePart>())
        {
            using var decoded = new MemoryStream();
            await attachment.Content!.DecodeToAsync(decoded);
            hashes.Add(Convert.ToHexStringLower(SHA256.HashData(decoded.ToArray())));
        }
        return hashes;
    }

    public static async Task<List<NotificationDelivery>> DeliveriesAsync(BackupSystem system, Guid runId)
    {
        await using var catalog = system.Catalog();
        return await catalog.NotificationDeliveries.AsNoTracking().Where(d => d.RunId == runId).ToListAsync();
    }

    public static bool IsAbout(this MimeMessage message, Guid runId) => message.TextBody?.Contains(runId.ToString()) == true;
}
