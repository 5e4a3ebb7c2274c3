using Backup.Database.Outages;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Database.Jobs;

public static class JobsRegistration
{
    /// <summary>
    /// The jobs table of the catalog database as a work queue, and a worker running <typeparamref name="THandler"/>
    /// for one kind of job. Needs ConnectionStrings:Catalog; the migrator creates the table.
    /// </summary>
    public static IHostApplicationBuilder AddJobWorker<THandler>(this IHostApplicationBuilder builder,
        Func<IServiceProvider, JobWorkerSettings> settings) where THandler : class, IJobHandler
    {
        builder.AddValidatedOptions<JobOptions>();
        builder.AddCatalogConnection();
        // One queue for every kind this service works on; it wakes each kind's worker when it stores a job of that kind.
        builder.Services.TryAddSingleton(services => new JobQueue(
            NpgsqlDataSource.Create(services.GetRequiredService<IOptions<CatalogDatabaseOptions>>().Value.Catalog),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IOptions<CatalogOutageOptions>>().Value.RideOut));
        builder.Services.TryAddSingleton<JobWaitMetrics>();
        builder.Services.AddScoped<THandler>();
        builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<JobWorker<THandler>>(services, settings(services)));
        return builder;
    }
}
