using Backup.ServiceDefaults;

namespace Backup.Catalog.Outbox;

/// <summary>
/// The catalog's <see cref="WakeUpSignal"/> for its outbox: whoever commits outbox rows notifies it, and the
/// <see cref="OutboxDispatcher"/> publishes them at once instead of at its next poll.
/// </summary>
public sealed class OutboxSignal : WakeUpSignal;
