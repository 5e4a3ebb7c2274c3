using System.Diagnostics;
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
/// Fencing: immediately before anything of an attempt becomes visible (BackupStarted, the artifact's commit, the
/// manifest, BackupCompleted or BackupFailed) the claim's generation is confirmed in the database
/// (<see cref="JobQueue.ConfirmClaimAsync"/>); an attempt whose job was taken over stops there and publishes nothing.
/// An attempt first looks at the store: the run's whole backup (either encoding, from an earlier attempt that died
/// before reporting it) is reported, not dumped again; what an earlier attempt left that is not a whole backup (an
/// artifact without its manifest) is removed, under this attempt's claim, before dumping.
/// </summary>
public sealed class DumpDatabaseJob(
    IOptionsMonitor<SourcesOptions> sources,
    IOptions<DumperOptions> options,
    DumpPipeline pipeline,
    OpenPgpEncryptor encryptor,
    IArtifactStore store,
    JobQueue jobs,
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
        using var activity = DumperTelemetry.Source.StartActivity("backup.dump");
        activity?.SetTag("backup.run_id", request.RunId);
        activity?.SetTag("backup.source", request.Source);
        activity?.SetTag("backup.attempt", job.Attempts);
        var stopwatch = Stopwatch.StartNew();

        if (!sources.CurrentValue.TryGetValue(request.Source, out var source))
        {
            // Checked when the request arrived; the configuration changed since.
            Log.UnknownSource(logger, request.RunId);
            metrics.Failed(null, BackupErrorCodes.UnknownSource, stopwatch.Elapsed);
            var unknown = DumpResult.UnknownSource(request.Source, sources.CurrentValue.Keys);
            activity.RecordDumpOutcome(unknown);
            await PublishFailureAsync(job, request, unknown, cancellationToken);
            return new JobOutcome.Finished(BackupErrorCodes.UnknownSource);
        }

        if (await StoredWholeAsync(request, cancellationToken) is { } stored)
        {
            // The backup was stored by an attempt that died before it could report it (perhaps with other encryption
            // settings than today's): report it, don't dump twice.
            Log.AlreadyStored(logger, request.RunId, request.Source, stored.ArtifactKey);
            await PublishCompletionAsync(job, request, stored, cancellationToken);
            return new JobOutcome.Finished("already stored");
        }
        await RemoveUnfinishedAsync(job, request, cancellationToken);

        var startedAt = clock.GetUtcNow();
        var key = ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt,
            encryptor.Enabled ? ArtifactEncoding.ZstdOpenPgp : ArtifactEncoding.Zstd);
        await jobs.ConfirmClaimAsync(job, cancellationToken);
        await bus.PublishUntilSentAsync(new BackupStarted { RunId = request.RunId, Source = request.Source, StartedAt = startedAt },
            clock, logger, cancellationToken);
        Log.DumpStarted(logger, request.RunId, request.Source);

        stopwatch.Restart();
        var (result, manifest) = await DumpToStoreAsync(job, request, source, key, startedAt, cancellationToken);

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        activity.RecordDumpOutcome(result);
        if (manifest is null && result.WorthRetrying && job.Attempts <= options.Value.EffectiveRetryDelays.Count)
        {
            Log.DumpWillRetry(logger, request.RunId, request.Source, job.Attempts);
            return new JobOutcome.RetryLater(options.Value.EffectiveRetryDelays[job.Attempts - 1], $"{result.ErrorCode}: {result.Reason}");
        }
        if (manifest is null && await StoredWholeOrNullAsync(request, cancellationToken) is { } other)
        {
            // This attempt could not store its own backup because another writer's whole one is there: report that.
            Log.AlreadyStored(logger, request.RunId, request.Source, other.ArtifactKey);
            await PublishCompletionAsync(job, request, other, cancellationToken);
            return new JobOutcome.Finished("already stored");
        }
        if (manifest is null)
        {
            Log.DumpFailed(logger, request.RunId, request.Source, result.ErrorCode);
            metrics.Failed(request.Source, result.ErrorCode, stopwatch.Elapsed);
            await PublishFailureAsync(job, request, result, cancellationToken);
            return new JobOutcome.Finished(result.ErrorCode);
        }

        activity?.SetTag("backup.raw_size", manifest.RawSizeBytes);
        activity?.SetTag("backup.stored_size", manifest.StoredSizeBytes);
        Log.DumpCompleted(logger, request.RunId, request.Source, manifest.StoredSizeBytes, stopwatch.ElapsedMilliseconds);
        metrics.Completed(manifest, stopwatch.Elapsed);
        await PublishCompletionAsync(job, request, manifest, cancellationToken);
        return JobOutcome.Done;
    }

    /// <summary>
    /// The attempts are used up, but the last one may have died after its artifact and manifest were committed (and
    /// before it could report them): the store is looked at first. A whole backup of the run there (the manifest's
    /// run, its size and SHA-256 match the stored bytes), under either encoding, is reported as BackupCompleted from its
    /// manifest, so a Failed run never sits beside a complete artifact; otherwise what the attempts left that is not
    /// a whole backup (an artifact whose manifest was never written) is removed, and the run failed (DumpFailed).
    /// </summary>
    public async Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        var request = Request(job);
        using var scope = logger.BeginRunScope(request.RunId);
        if (await StoredWholeOrNullAsync(request, cancellationToken) is { } stored)
        {
            Log.GaveUpButStored(logger, request.RunId, request.Source, stored.ArtifactKey);
            await PublishCompletionAsync(job, request, stored, cancellationToken);
            return;
        }
        if (SourceNames.IsValid(request.Source))
        {
            try
            {
                await RemoveUnfinishedAsync(job, request, cancellationToken); // a failed run never sits beside a stored artifact
            }
            catch (Exception e) when (e is ArtifactStoreException or IOException or UnauthorizedAccessException)
            {
                Log.StoreUnreadableAtGiveUp(logger, request.RunId, KeysOf(request).First().Stem, e); // the run fails all the same
            }
        }
        await PublishFailureAsync(job, request, DumpResult.Failure(BackupErrorCodes.DumpFailed, reason), cancellationToken);
    }

    // The run's backup as an earlier attempt (or another writer) committed it, if it is whole, under either encoding:
    // the settings may have changed since that attempt. A store that can't be read fails the call (so nothing is
    // taken for missing and dumped or removed on a transient failure).
    async Task<ArtifactManifest?> StoredWholeAsync(BackupRequested request, CancellationToken cancellationToken)
    {
        if (!SourceNames.IsValid(request.Source)) return null;
        foreach (var key in KeysOf(request))
            if (await WholeBackupAsync(request, key, cancellationToken) is { } manifest)
                return manifest;
        return null;
    }

    // StoredWholeAsync for a verdict that must be given now (the attempts are used up, or this attempt failed): a key
    // that can't be read is logged and counts as no backup.
    async Task<ArtifactManifest?> StoredWholeOrNullAsync(BackupRequested request, CancellationToken cancellationToken)
    {
        if (!SourceNames.IsValid(request.Source)) return null;
        foreach (var key in KeysOf(request))
        {
            try
            {
                if (await WholeBackupAsync(request, key, cancellationToken) is { } manifest)
                    return manifest;
            }
            catch (Exception e) when (e is ArtifactStoreException or IOException or UnauthorizedAccessException or JsonException)
            {
                Log.StoreUnreadableAtGiveUp(logger, request.RunId, key.Value, e);
            }
        }
        return null;
    }

    // The manifest under the key names the run, and the stored bytes have its size and SHA-256.
    async Task<ArtifactManifest?> WholeBackupAsync(BackupRequested request, ArtifactKey key, CancellationToken cancellationToken)
    {
        if (await store.ReadManifestAsync(key, cancellationToken) is not { } manifest || manifest.RunId != request.RunId
            || manifest.ArtifactKey != key.Value || !await store.ExistsAsync(key, cancellationToken))
            return null;
        await using var artifact = await store.OpenReadAsync(key, cancellationToken);
        var (size, sha256) = await StoredBytes.MeasureAsync(artifact, cancellationToken);
        return size == manifest.StoredSizeBytes && sha256 == manifest.Sha256 ? manifest : null;
    }

    // What earlier attempts committed that is not a whole backup (an artifact whose attempt died before its manifest,
    // a manifest that doesn't describe the artifact beside it), under either encoding. Only under this attempt's
    // claim: from the moment this attempt's generation holds, no earlier holder can pass its own fencing check, so
    // none of them can make these whole any more. Partial writes (temporary files, unfinished uploads) are never
    // touched here: they are invisible, and the leftover cleanup removes them once they are old.
    async Task RemoveUnfinishedAsync(ClaimedJob job, BackupRequested request, CancellationToken cancellationToken)
    {
        await jobs.ConfirmClaimAsync(job, cancellationToken);
        foreach (var key in KeysOf(request))
            if (await store.DeleteAsync(key, cancellationToken))
                Log.RemovedUnfinished(logger, request.RunId, key.Value);
    }

    static IEnumerable<ArtifactKey> KeysOf(BackupRequested request) =>
        new[] { ArtifactEncoding.Zstd, ArtifactEncoding.ZstdOpenPgp }.Select(encoding =>
            ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt, encoding));

    static BackupRequested Request(ClaimedJob job) =>
        JsonSerializer.Deserialize<BackupRequested>(job.Payload, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"Job {job.Key} holds no request.");

    async Task<(DumpResult, ArtifactManifest?)> DumpToStoreAsync(ClaimedJob job, BackupRequested request, SourceOptions source,
        ArtifactKey key, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        try
        {
            StoredBytes stored;
            DumpResult result;
            IReadOnlyList<string> recipients = [];
            await using (var write = await store.BeginWriteAsync(key, cancellationToken))
            {
                Stream? encrypting = null;
                try
                {
                    // Encryption configured but unusable (a key file gone or broken): fail before a single byte is
                    // written, so no plaintext artifact ever exists.
                    if (encryptor.Enabled) encrypting = encryptor.Encrypt(write.Content, out recipients);
                }
                catch (EncryptionUnavailableException e)
                {
                    return (DumpResult.Failure(BackupErrorCodes.EncryptionFailed,
                        $"Encryption is configured but can't be used, so nothing was dumped: {e.Message} Check Encryption:RecipientKeyFiles and the secret Encryption:Passphrase."), null);
                }
                await using (encrypting)
                {
                    result = await pipeline.RunAsync(request.Source, source, encrypting ?? write.Content, cancellationToken);
                    if (!result.Succeeded) return (result, null);
                }
                await jobs.ConfirmClaimAsync(job, cancellationToken); // fenced: a writer whose job was taken over commits nothing
                // After the OpenPGP packets are finished; never replaces an artifact. The store measured the bytes.
                stored = await write.CommitAsync(cancellationToken);
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
                StoredSizeBytes = stored.Size,
                Compression = new ManifestCompression("zstd", options.Value.CompressionLevel),
                Encryption = encryptor.Enabled ? new ManifestEncryption("openpgp", recipients) : null,
                Sha256 = stored.Sha256,
            };
            await jobs.ConfirmClaimAsync(job, cancellationToken); // fenced too; the artifact stays for the next holder to remove
            try
            {
                await store.WriteManifestAsync(manifest, cancellationToken); // never replaces a manifest
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

    async Task PublishCompletionAsync(ClaimedJob job, BackupRequested request, ArtifactManifest manifest, CancellationToken cancellationToken)
    {
        await jobs.ConfirmClaimAsync(job, cancellationToken);
        await bus.PublishUntilSentAsync(new BackupCompleted
        {
            RunId = request.RunId,
            Source = request.Source,
            StartedAt = manifest.StartedAt,
            CompletedAt = manifest.CompletedAt,
            ArtifactKey = manifest.ArtifactKey,
            SizeBytes = manifest.StoredSizeBytes,
            Sha256 = manifest.Sha256,
            Format = manifest.Format,
            RawSizeBytes = manifest.RawSizeBytes,
            Tables = manifest.Tables.Select(t => new BackupTable { Schema = t.Schema, Name = t.Name, Rows = t.Rows }).ToList(),
        }, clock, logger, cancellationToken);
    }

    async Task PublishFailureAsync(ClaimedJob job, BackupRequested request, DumpResult result, CancellationToken cancellationToken)
    {
        await jobs.ConfirmClaimAsync(job, cancellationToken);
        await bus.PublishUntilSentAsync(result.ToEvent(request, clock.GetUtcNow()), clock, logger, cancellationToken);
    }
}
