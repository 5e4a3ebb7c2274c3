using Backup.Dumper.Consumers;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using Backup.Storage.Encryption;

namespace Backup.Dumper;

public static class Extensions
{
    /// <summary>The dumper: configured sources, pg_dump, the artifact store, and the BackupRequested consumer.</summary>
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
        builder.AddBackupBus(bus => bus.AddConsumer<DumpDatabaseConsumer>(typeof(DumpDatabaseConsumerDefinition)));
        return builder;
    }
}
