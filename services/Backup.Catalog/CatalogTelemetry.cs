namespace Backup.Catalog;

/// <summary>The catalog's own spans (the outbox's publishes); its ActivitySource is named like the service.</summary>
static class CatalogTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Catalog");
}
