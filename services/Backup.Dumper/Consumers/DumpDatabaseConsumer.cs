using System.Diagnostics;
using System.Security.Cryptography;
using Backup.Contracts;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.Storage;
using Backup.Storage.Encryption;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>
/// Takes a BackupRequested for a configured source, streams the dump into the artifact store while hashing the
/// stored bytes, writes the manifest last, and publishes BackupStarted, then BackupCompleted or BackupFailed. A
/// failed backup is an outcome, not a fault: it is published so the run ends and the administrators are alerted.
/// The artifact's key is made here from the validated source name, the run id and the request time: nothing in the
/// message becomes a path.
/// </summary>
public sealed class DumpDatabaseConsumer(
    IOptionsMonitor<SourcesOptions> sources,
    IOptions<DumperOptions> options,
    DumpPipeline pipeline,
    OpenPgpEncryptor encryptor,
    IArtifactStore store,
    TimeProvider clock,
    ILogger<DumpDatabaseConsumer> logger) : IConsumer<BackupRequested>
{
    public const string Format = "pg_dump-custom+zstd";
    public const string EncryptedFormat = "pg_dump-custom+zstd+openpgp";

    public async Task Consume(ConsumeContext<BackupRequested> context)
    {
        var request = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = request.RunId });
        using var activity = DumperTelemetry.Source.StartActivity("pg_dump");
        activity?.SetTag("backup.run_id", request.RunId);
        activity?.SetTag("backup.source", request.Source);

        if (!sources.CurrentValue.TryGetValue(request.Source, out var source) || !Backup.ServiceDefaults.SourceNames.IsValid(request.Source))
        {
            Log.UnknownSource(logger, request.RunId);
            await PublishFailure(context, DumpResult.Failure(DumpErrorCodes.UnknownSource,
                $"No source named '{Truncate(request.Source)}' is configured in the dumper. Configured sources: {string.Join(", ", sources.CurrentValue.Keys.Order())}. Add it under Sources:<name> or fix the request."));
            return;
        }

        var startedAt = clock.GetUtcNow();
        var key = ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt,
            encryptor.Enabled ? ArtifactEncoding.ZstdOpenPgp : ArtifactEncoding.Zstd);
        if (await store.ReadManifestAsync(key, context.CancellationToken) is { } stored && await store.ExistsAsync(key, context.CancellationToken))
        {
            // A request delivered again after its backup was stored (the first BackupCompleted may have been lost
            // with the process): report the stored artifact again, don't dump twice.
            await PublishCompletion(context, stored);
            return;
        }
        if (await store.ExistsAsync(key, context.CancellationToken))
            await store.DeleteAsync(key, context.CancellationToken); // an artifact without its manifest: an interrupted run

        await context.Publish(new BackupStarted { RunId = request.RunId, Source = request.Source, StartedAt = startedAt });
        Log.DumpStarted(logger, request.RunId, request.Source);

        var stopwatch = Stopwatch.StartNew();
        var (result, manifest) = await DumpToStoreAsync(request, source, key, startedAt, context.CancellationToken);

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        activity?.SetTag("backup.outcome", result.Succeeded ? "completed" : result.ErrorCode);
        if (manifest is null && result.ErrorCode == DumpErrorCodes.ConnectionFailed
            && context.GetRetryAttempt() < options.Value.EffectiveRetryDelays.Count)
        {
            Log.DumpWillRetry(logger, request.RunId, request.Source, context.GetRetryAttempt() + 1);
            throw new TransientDumpException(result.Reason);
        }
        if (manifest is null)
        {
            Log.DumpFailed(logger, request.RunId, request.Source, result.ErrorCode);
            await PublishFailure(context, result);
            return;
        }

        activity?.SetTag("backup.raw_bytes", manifest.RawSizeBytes);
        activity?.SetTag("backup.stored_bytes", manifest.StoredSizeBytes);
        Log.DumpCompleted(logger, request.RunId, request.Source, manifest.StoredSizeBytes, stopwatch.ElapsedMilliseconds);
        await PublishCompletion(context, manifest);
    }

    async Task<(DumpResult, ArtifactManifest?)> DumpToStoreAsync(BackupRequested request, SourceOptions source,
        ArtifactKey key, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        try
        {
            long stored;
            string sha256;
            DumpResult result;
            IReadOnlyList<string> recipients = [];
            await using (var write = await store.BeginWriteAsync(key, cancellationToken))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var hashing = new HashingStream(write.Content, hash);
                Stream? encrypting = null;
                try
                {
                    // Encryption configured but unusable (a key file gone or broken): fail before a single byte is
                    // written, so no plaintext artifact ever exists.
                    if (encryptor.Enabled) encrypting = encryptor.Encrypt(hashing, out recipients);
                }
                catch (EncryptionUnavailableException e)
                {
                    return (DumpResult.Failure(DumpErrorCodes.EncryptionFailed,
                        $"Encryption is configured but can't be used, so nothing was dumped: {e.Message} Check Encryption:RecipientKeyFiles and the secret Encryption:Passphrase."), null);
                }
                await using (encrypting)
                {
                    result = await pipeline.RunAsync(request.Source, source, encrypting ?? hashing, cancellationToken);
                    if (!result.Succeeded) return (result, null);
                }
                await write.CommitAsync(cancellationToken); // after the OpenPGP packets are finished
                (stored, sha256) = (hashing.BytesWritten, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }

            var manifest = new ArtifactManifest
            {
                RunId = request.RunId,
                Source = request.Source,
                ArtifactKey = key.Value,
                Format = encryptor.Enabled ? EncryptedFormat : Format,
                StartedAt = startedAt,
                CompletedAt = clock.GetUtcNow(),
                Database = source.Database,
                ServerVersion = result.ServerVersion,
                PgDumpVersion = result.PgDumpVersion,
                Tables = result.Tables,
                SchemaOnlyTables = result.SchemaOnlyTables,
                Warnings = result.Warnings,
                RawSizeBytes = result.RawSizeBytes,
                StoredSizeBytes = stored,
                Compression = new ManifestCompression("zstd", options.Value.CompressionLevel),
                Encryption = encryptor.Enabled ? new ManifestEncryption("openpgp", recipients) : null,
                Sha256 = sha256,
            };
            try
            {
                await store.WriteManifestAsync(manifest, cancellationToken);
            }
            catch
            {
                await store.DeleteAsync(key, CancellationToken.None); // never leave an artifact that isn't a whole backup
                throw;
            }
            return (result, manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (DumpResult.Failure(DumpErrorCodes.StorageFailed,
                $"Could not write the artifact of source '{request.Source}' to the store: {e.Message}. Check free space and permissions under Storage:Root. Older backups were not touched."), null);
        }
    }

    Task PublishCompletion(ConsumeContext<BackupRequested> context, ArtifactManifest manifest) =>
        context.Publish(new BackupCompleted
        {
            RunId = context.Message.RunId,
            Source = context.Message.Source,
            StartedAt = manifest.StartedAt,
            CompletedAt = manifest.CompletedAt,
            ArtifactKey = manifest.ArtifactKey,
            SizeBytes = manifest.StoredSizeBytes,
            Sha256 = manifest.Sha256,
            Format = manifest.Format,
        });

    Task PublishFailure(ConsumeContext<BackupRequested> context, DumpResult result) =>
        context.Publish(new BackupFailed
        {
            RunId = context.Message.RunId,
            Source = Truncate(context.Message.Source),
            FailedAt = clock.GetUtcNow(),
            ErrorCode = result.ErrorCode,
            Reason = result.Reason,
        });

    static string Truncate(string value) => value.Length <= 63 ? value : value[..63];
}
