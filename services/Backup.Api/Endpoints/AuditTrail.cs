using System.Security.Claims;
using Backup.Database;
using Backup.Database.Audit;
using Backup.ServiceDefaults;

namespace Backup.Api.Endpoints;

/// <summary>Writes the audit row of a sensitive action (who, what, on what, when, from where, status) before the answer goes out.</summary>
public sealed class AuditTrail(CatalogDbContext catalog, TimeProvider clock)
{
    public async Task RecordAsync(HttpContext http, string action, string target, int status, string? detail = null)
    {
        catalog.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            Actor = Actor(http.User),
            Action = action,
            Target = Text.Clip(target, 300),
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            Status = status,
            Detail = Text.Clip(detail, 500),
        });
        await catalog.SaveChangesAsync(http.RequestAborted);
    }

    /// <summary>The caller as the audit log and BackupRequested.RequestedBy name it: the token's subject.</summary>
    public static string Actor(ClaimsPrincipal user) =>
        Text.Clip(user.FindFirst("sub")?.Value ?? user.FindFirst("name")?.Value ?? "unknown", 200);
}
