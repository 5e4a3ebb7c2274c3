using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backup.Storage;

public static class StorageExtensions
{
    public static IHostApplicationBuilder AddArtifactStore(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<StorageOptions>();
        builder.Services.AddSingleton<IArtifactStore, FileSystemArtifactStore>();
        return builder;
    }
}
