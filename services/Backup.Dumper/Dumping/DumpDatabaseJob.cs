using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using Backup.Storage;
using Backup.Storage.Encryption;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Dumping;

/// <summary>
/// One backup, run under a job claim (so it may take longer than the broker's consumer timeout): streams the dump
/// into the artifact store while hashing the stored bytes, writes the manifest last, and publishes BackupStarted,
/// then BackupCompleted or BackupFailed. A failed backup is an outcome, not a fault: it is published so the run ends
/// and the administrators are alerted. A transient failure (the source refused the connection, the store is busy)
/// puts the job back with the next of Dumper:RetryDelays. The artifact's key is made here from the validated source
/// name, the run id and the request time: nothing in the message becomes a path.
/// </summary>
public sealed class DumpDatabaseJob(
    IOptionsMonitor<SourcesOptions> sources,
    IOptions<DumperOptions> options,
    DumpPipeline pipeline,
    OpenPgpEncryptor encryptor,
    IArtifactStore store,
    IBus bus,
    DumperMetrics metrics,
    TimeProvider clock,
    ILogger<DumpDatabaseJob> logger) : IJobHandler
{
    public const string Kind = JobKinds.Dump;
    public const string Format = "pg_dump-custom+zstd";
    public const string EncryptedFormat = "pg_dump-custom+zstd+openpgp";

    public static string KeyOf(BackupRequested request) => JobKinds.KeyOf(request.RunId);

    public async Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var request = Request(job);
        using var scope = logger.BeginRunScope(request.RunId);
        using var activity = DumperTelemetry.Source.StartActivity("pg_dump");
        activity?.SetTag("backup.run_id", request.RunId);
        activity?.SetTag("backup.source", request.Source);
        activity?.SetTag("backup.attempt", job.Attempts);
        var stopwatch = Stopwatch.StartNew();

        if (!sources.CurrentValue.TryGetValue(request.Source, out var source))
        {
            // Checked when the request arrived; the configuration changed since.
            Log.UnknownSource(logger, request.RunId);
            metrics.Failed(null, BackupErrorCodes.UnknownSource, stopwatch.Elapsed);
            await PublishFailureAsync(request, DumpResult.UnknownSource(request.Source, sources.CurrentValue.Keys), cancellationToken);
            return new JobOutcome.Finished(BackupErrorCodes.UnknownSource);
        }

        var startedAt = clock.GetUtcNow();
        var key = ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt,
            encryptor.Enabled ? ArtifactEncoding.ZstdOpenPgp : ArtifactEncoding.Zstd);
        if (await store.ReadManifestAsync(key, cancellationToken) is { } stored && await store.ExistsAsync(key, cancellationToken))
        {
            // The backup was stored by an attempt that died before it could report it: report it, don't dump twice.
            await PublishCompletionAsync(request, stored, cancellationToken);
            return new JobOutcome.Finished("already stored");
        }
        if (await store.ExistsAsync(key, cancellationToken))
            await store.DeleteAsync(key, cancellationToken); // an artifact without its manifest: an interrupted attempt

        await bus.PublishUntilSentAsync(new BackupStarted { RunId = request.RunId, Source = request.Source, StartedAt = startedAt },
            clock, logger, cancellationToken);
        Log.DumpStarted(logger, request.RunId, request.Source);

        stopwatch.Restart();
        var (result, manifest) = await DumpToStoreAsync(request, source, key, startedAt, cancellationToken);

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        activity?.SetTag("backup.outcome", result.Succeeded ? "completed" : result.ErrorCode);
        if (manifest is null && result.WorthRetrying && job.Attempts <= options.Value.EffectiveRetryDelays.Count)
        {
            Log.DumpWillRetry(logger, request.RunId, request.Source, job.Attempts);
            return new JobOutcome.RetryLater(options.Value.EffectiveRetryDelays[job.Attempts - 1], $"{result.ErrorCode}: {result.Reason}");
        }
        if (manifest is null)
        {
            Log.DumpFailed(logger, request.RunId, request.Source, result.ErrorCode);
            metrics.Failed(request.Source, result.ErrorCode, stopwatch.Elapsed);
            await PublishFailureAsync(request, result, cancellationToken);
            return new JobOutcome.Finished(result.ErrorCode);
        }

        activity?.SetTag("backup.raw_bytes", manifest.RawSizeBytes);
        activity?.SetTag("backup.stored_bytes", manifest.StoredSizeBytes);
        Log.DumpCompleted(logger, request.RunId, request.Source, manifest.StoredSizeBytes, stopwatch.ElapsedMilliseconds);
        metrics.Completed(manifest, stopwatch.Elapsed);
        await PublishCompletionAsync(request, manifest, cancellationToken);
        return JobOutcome.Done;
    }

    /// <summary>
    /// The attempts are used up, but the last one may have died after its artifact and manifest were committed (and
    /// before it could report them): the store is looked at first. A whole backup of the run there (the manifest's
    /// run, its size and SHA-256 match the stored bytes), under either encoding, is reported as BackupCompleted from its
    /// manifest, so a Failed run never sits beside a complete artifact; otherwise the run failed (DumpFailed).
    /// </summary>
    public async Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        var request = Request(job);
        using var scope = logger.BeginRunScope(request.RunId);
        if (await StoredWholeAsync(request, cancellationToken) is { } stored)
        {
            Log.GaveUpButStored(logger, request.RunId, request.Source, stored.ArtifactKey);
            await PublishCompletionAsync(request, stored, cancellationToken);
            return;
        }
        await PublishFailureAsync(request, DumpResult.Failure(BackupErrorCodes.DumpFailed, reason), cancellationToken);
    }

    // The run's backup as an earlier attempt committed it, if it is whole: its manifest names the run, and the stored
    // bytes have the manifest's size and SHA-256. Either encoding: the settings may have changed since that attempt.
    async Task<ArtifactManifest?> StoredWholeAsync(BackupRequested request, CancellationToken cancellationToken)
    {
        if (!SourceNames.IsValid(request.Source)) return null;
        foreach (var encoding in new[] { ArtifactEncoding.Zstd, ArtifactEncoding.ZstdOpenPgp })
        {
            var key = ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt, encoding);
            try
            {
                if (await store.ReadManifestAsync(key, cancellationToken) is not { } manifest || manifest.RunId != request.RunId
                    || manifest.ArtifactKey != key.Value || !await store.ExistsAsync(key, cancellationToken))
                    continue;
                await using var artifact = await store.OpenReadAsync(key, cancellationToken);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                long size = 0;
                for (int read; (read = await artifact.ReadAsync(buffer, cancellationToken)) > 0; size += read)
                    hash.AppendData(buffer, 0, read);
                if (size == manifest.StoredSizeBytes && Convert.ToHexStringLower(hash.GetHashAndReset()) == manifest.Sha256)
                    return manifest;
            }
            catch (Exception e) when (e is ArtifactStoreException or IOException or UnauthorizedAccessException or JsonException)
            {
                Log.StoreUnreadableAtGiveUp(logger, request.RunId, key.Value, e);
            }
        }
        return null;
    }

    static BackupRequested Request(ClaimedJob job) =>
        JsonSerializer.Deserialize<BackupRequested>(job.Payload, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"Job {job.Key} holds no request.");

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
                    return (DumpResult.Failure(BackupErrorCodes.EncryptionFailed,
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
        catch (ArtifactStoreException e)
        {
            return (DumpResult.Failure(BackupErrorCodes.StorageFailed,
                $"Could not write the artifact of source '{request.Source}' to the store: {e.Message} Older backups were not touched.", e.Transient), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (DumpResult.Failure(BackupErrorCodes.StorageFailed,
                $"Could not write the artifact of source '{request.Source}' to the store: {e.Message}. Check free space and permissions under Storage:Root. Older backups were not touched."), null);
        }
    }

    Task PublishCompletionAsync(BackupRequested request, ArtifactManifest manifest, CancellationToken cancellationToken) =>
        bus.PublishUntilSentAsync(new BackupCompleted
        {
            RunId = request.RunId,
            Source = request.Source,
            StartedAt = manifest.StartedAt,
            CompletedAt = manifest.CompletedAt,
            ArtifactKey = manifest.ArtifactKey,
            SizeBytes = manifest.StoredSizeBytes,
            Sha256 = manifest.Sha256,
            Format = manifest.Format,
        }, clock, logger, cancellationToken);

    Task PublishFailureAsync(BackupRequested request, DumpResult result, CancellationToken cancellationToken) =>
        bus.PublishUntilSentAsync(result.ToEvent(request, clock.GetUtcNow()), clock, logger, cancellationToken);
}
