using Backup.Api.Options;
using Backup.Database;
using Backup.Database.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>
/// The implicit idempotency of a request sent without an Idempotency-Key. Its id is recorded (unconfirmed_requests)
/// before it is published and the row deleted once the broker has answered for sure (routed, or returned). A 503 for
/// a confirm that did not come in time leaves the row, and the same caller's retry for the same subject within
/// Api:UnconfirmedRetryWindow gets the same id: if the broker took the first message after all, the dumper (or the
/// restorer) sees the same run (restore) id twice and makes one job of it.
/// </summary>
public sealed class UnconfirmedRequestLedger(CatalogDbContext catalog, IOptions<ApiOptions> options, TimeProvider clock)
{
    /// <summary>The id of the caller's unconfirmed request for <paramref name="subject"/> within the window, else a new one; recorded as unconfirmed.</summary>
    public async Task<Guid> ReserveAsync(string kind, string subject, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var since = now - options.Value.UnconfirmedRetryWindow;
        var earlier = await catalog.UnconfirmedRequests
            .Where(r => r.Kind == kind && r.Actor == actor && r.Subject == subject && r.RequestedAt > since)
            .OrderByDescending(r => r.RequestedAt).FirstOrDefaultAsync(cancellationToken);
        if (earlier is not null)
        {
            earlier.RequestedAt = now; // the window runs from the latest attempt
            await catalog.SaveChangesAsync(cancellationToken);
            return earlier.Id;
        }
        await catalog.UnconfirmedRequests.Where(r => r.RequestedAt <= since).ExecuteDeleteAsync(cancellationToken);
        var request = new UnconfirmedRequest { Id = Guid.CreateVersion7(), Kind = kind, Subject = subject, Actor = actor, RequestedAt = now };
        catalog.UnconfirmedRequests.Add(request);
        await catalog.SaveChangesAsync(cancellationToken);
        return request.Id;
    }

    /// <summary>The broker answered for sure (routed, or returned as unroutable): the next request is a new one.</summary>
    public Task SettleAsync(Guid id) =>
        catalog.UnconfirmedRequests.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);
}
