using Backup.ServiceDefaults.Options;
using Backup.Storage.S3;
using Backup.Storage.TempFolders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;

namespace Backup.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// The artifact store chosen by Storage:Backend (FileSystem, the default, or S3), with its settings validated at
    /// start, and for S3 the named pipeline that retries part uploads.
    /// </summary>
    public static IHostApplicationBuilder AddArtifactStore(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<StorageOptions>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        var backend = builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.Backend)}"];
        if (string.Equals(backend, nameof(StorageBackend.S3), StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddResiliencePipeline(S3UploadResilience.PipelineName,
                pipeline => S3UploadResilience.Configure(pipeline, TimeSpan.FromSeconds(1)));
            builder.Services.AddSingleton<IArtifactStore, S3ArtifactStore>();
        }
        else
        {
            builder.Services.AddSingleton<IArtifactStore, FileSystemArtifactStore>();
        }
        return builder;
    }

    /// <summary>
    /// Removes the private temp folders (<see cref="PrivateTempFolder"/>) this service's killed instances left behind:
    /// at start, then every hour (<see cref="TempFolderSweeper"/>).
    /// </summary>
    public static IHostApplicationBuilder AddTempFolderSweep(this IHostApplicationBuilder builder,
        Func<IServiceProvider, TempFolderSweepSettings> settings)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService(services => new TempFolderSweeper(settings(services),
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<TempFolderSweeper>>()));
        return builder;
    }
}
