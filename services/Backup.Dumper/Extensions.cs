using Backup.Dumper.Consumers;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;

namespace Backup.Dumper;

public static class Extensions
{
    /// <summary>The dumper: configured sources, pg_dump, the artifact store, and the BackupRequested consumer.</summary>
    public static IHostApplicationBuilder AddDumper(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<DumperOptions>();
        builder.AddValidatedOptions<SourcesOptions>();
        builder.AddArtifactStore();
        builder.Services.AddSingleton<PgDumpTool>();
        builder.Services.AddSingleton<DumpPipeline>();
        builder.AddBackupBus(bus => bus.AddConsumer<DumpDatabaseConsumer>(typeof(DumpDatabaseConsumerDefinition)));
        return builder;
    }
}
