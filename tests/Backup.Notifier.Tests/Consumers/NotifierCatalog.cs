using Backup.Testing;

namespace Backup.Notifier.Tests.Consumers;

static class NotifierCatalog
{
    /// <summary>The notification_deliveries of a run that the notifier claims and settles.</summary>
    public static Task<List<(string Recipient, string Kind, string State, int Attempts)>> DeliveriesAsync(this TestCatalog catalog, Guid runId) =>
        catalog.QueryAsync("SELECT recipient, kind, state, attempts FROM notification_deliveries WHERE run_id = @run ORDER BY recipient, kind",
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3)), ("run", runId));
}
