using System.ComponentModel.DataAnnotations;
using Backup.Database.Outages;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Database;

/// <summary>The catalog's connection string: a secret, from a secret file or the environment.</summary>
public sealed class CatalogDatabaseOptions : IConfigurationSection<CatalogDatabaseOptions>
{
    public static string Section => "ConnectionStrings";

    [Required(ErrorMessage = "The catalog database's connection string is required (Npgsql format).")]
    public string Catalog { get; set; } = "";
}

public static class CatalogDatabase
{
    /// <summary>The catalog DbContext on Npgsql, and a ready check that the database answers.</summary>
    public static IHostApplicationBuilder AddCatalogDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddCatalogConnection();
        builder.Services.AddDbContext<CatalogDbContext>((services, options) =>
            Configure(options, services.GetRequiredService<IOptions<CatalogDatabaseOptions>>().Value.Catalog));
        return builder;
    }

    /// <summary>
    /// ConnectionStrings:Catalog, validated at start, the ready check that the database answers, and how long a
    /// message waits out the database's outage (<see cref="CatalogOutageOptions"/>); once per host.
    /// </summary>
    internal static void AddCatalogConnection(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(CatalogConnectionAdded))) return;
        builder.Services.AddSingleton<CatalogConnectionAdded>();
        builder.AddValidatedOptions<CatalogDatabaseOptions>();
        builder.AddValidatedOptions<CatalogOutageOptions>();
        builder.Services.AddHealthChecks().AddNpgSql(
            services => services.GetRequiredService<IOptions<CatalogDatabaseOptions>>().Value.Catalog,
            name: "catalog-database", tags: [BackupHostDefaults.ReadyTag], timeout: TimeSpan.FromSeconds(5));
    }

    sealed class CatalogConnectionAdded;

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention();
}

/// <summary>For `dotnet ef migrations add`: the model needs no live database.</summary>
public sealed class CatalogDesignTimeFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDatabase.Configure(options, "Host=localhost;Database=backup_catalog");
        return new CatalogDbContext(options.Options);
    }
}
