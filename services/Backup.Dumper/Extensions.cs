using Backup.Database.Jobs;
using Backup.Dumper.Consumers;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using Backup.Storage.Encryption;
using Backup.Storage.TempFolders;

namespace Backup.Dumper;

public static class Extensions
{
    /// <summary>The dumper: configured sources, pg_dump, the artifact store, the BackupRequested consumer, the dump jobs' worker, the sweep of killed dumps' temp folders.</summary>
    public static IHostApplicationBuilder AddDumper(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<DumperOptions>();
        builder.AddValidatedOptions<SourcesOptions>();
        builder.AddArtifactStore();
        builder.AddValidatedOptions<EncryptionOptions>();
        // From the options validated at start (IOptions<T>.Value would validate again on first use, and a key file
        // that disappeared since then must fail that backup with EncryptionFailed, not fault the message).
        builder.Services.AddSingleton(services => new OpenPgpEncryptor(Microsoft.Extensions.Options.Options.Create(
            services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<EncryptionOptions>>().CurrentValue),
            services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<PgDumpTool>();
        builder.Services.AddSingleton<DumpPipeline>();
        builder.AddTempFolderSweep(services => DumperTempFolders(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DumperOptions>>().Value));
        builder.Services.AddSingleton<DumperMetrics>();
        builder.AddJobWorker<DumpDatabaseJob>(services =>
        {
            var dumper = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DumperOptions>>().Value;
            // A transient failure is retried after each of the delays; the attempts of a worker that died count too.
            return new JobWorkerSettings(DumpDatabaseJob.Kind, dumper.ConcurrentDumps, MaxAttempts: dumper.EffectiveRetryDelays.Count + 1);
        });
        builder.AddBackupBus(AddDumperConsumers);
        return builder;
    }

    /// <summary>The dumper's consumer with its definition (its queue "dump-database"); the migrator declares its topology from here too.</summary>
    public static void AddDumperConsumers(this MassTransit.IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<DumpDatabaseConsumer>(typeof(DumpDatabaseConsumerDefinition));

    /// <summary>
    /// What the sweep removes: the private folders of killed dumpers (lock free; without a lock file, once nothing in
    /// them changed for Dumper:DumpTimeout, the longest a dump runs).
    /// </summary>
    static TempFolderSweepSettings DumperTempFolders(DumperOptions dumper) =>
        new(DumpPipeline.TempFolderOwner, dumper.TempDirectory, LeftoverAge: dumper.DumpTimeout);
}
