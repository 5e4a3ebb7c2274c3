using Backup.Catalog;
using Backup.Dumper;
using Backup.Notifier;
using Backup.Restorer;
using Backup.Retention;
using Backup.Scheduler;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>Each service's own composition, exactly what its Program.cs calls.</summary>
public static class Services
{
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartCatalog(this BackupSystem system,
        Action<Dictionary<string, string?>>? configure = null) =>
        system.StartAsync("Backup.Catalog", b => b.AddCatalog(), configure);
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartDumper(this BackupSystem system, Action<Dictionary<string, string?>>? configure = null) =>
        system.StartAsync("Backup.Dumper", b => b.AddDumper(), configure);
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartNotifier(this BackupSystem system,
        Action<Dictionary<string, string?>>? configure = null, TimeProvider? clock = null) =>
        system.StartAsync("Backup.Notifier", b => b.AddNotifier(), configure,
            services: s => { if (clock is not null) s.AddSingleton(clock); });
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartRetention(this BackupSystem system, TimeProvider? clock = null) =>
        system.StartAsync("Backup.Retention", b => b.AddRetention(),
            services: s => { if (clock is not null) s.AddSingleton(clock); });
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartRestorer(this BackupSystem system,
        Action<Dictionary<string, string?>>? configure = null, TimeProvider? clock = null) =>
        system.StartAsync("Backup.Restorer", b => b.AddRestorer(), configure,
            services: s => { if (clock is not null) s.AddSingleton(clock); });
    public static Task<Microsoft.AspNetCore.Builder.WebApplication> StartScheduler(this BackupSystem system, TimeProvider? clock = null) =>
        system.StartAsync("Backup.Scheduler", b => b.AddScheduler(),
            services: s => { if (clock is not null) s.AddSingleton(clock); });

    /// <summary>Turns the restorer's drills on, onto <paramref name="server"/> as its superuser.</summary>
    public static void DrillOnto(this IDictionary<string, string?> settings, PostgresEndpoint server)
    {
        settings["Drills:Enabled"] = "true";
        settings["Drills:Host"] = server.Host;
        settings["Drills:Port"] = server.Port.ToString();
        settings["Drills:Username"] = server.Username;
        settings["Drills:Password"] = server.Password;
    }
}
