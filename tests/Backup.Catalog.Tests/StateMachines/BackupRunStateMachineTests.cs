using Backup.Database;

namespace Backup.Catalog.Tests.StateMachines;

public class When_a_run_goes_through_its_whole_life
{
    [Fact]
    public async Task It_ends_Expired_with_the_artifact_recorded()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var requestedAt = BackupRunUnderTest.Start;
        var startedAt = requestedAt.AddSeconds(2);
        var completedAt = startedAt.AddMinutes(4);
        var deliveredAt = completedAt.AddSeconds(30);
        var expiredAt = completedAt.AddDays(31);

        await run.Publish(run.Requested(requestedAt));
        var requested = await run.LoadIn(run.Machine.Requested);
        Assert.Equal((requestedAt, "scheduler", "demo"), (requested.RequestedAt, requested.RequestedBy, requested.Source));

        run.Clock.SetUtcNow(startedAt);
        await run.Publish(run.Started(startedAt));
        Assert.Equal(startedAt, (await run.LoadIn(run.Machine.Running)).StartedAt);

        run.Clock.SetUtcNow(completedAt);
        await run.Publish(run.Completed(startedAt, completedAt));
        Assert.Equal(completedAt, (await run.LoadIn(run.Machine.Completed)).CompletedAt);

        run.Clock.SetUtcNow(deliveredAt);
        await run.Publish(run.Delivered(deliveredAt));
        Assert.Equal(deliveredAt, (await run.LoadIn(run.Machine.Delivered)).DeliveredAt);

        run.Clock.SetUtcNow(expiredAt.AddSeconds(1));
        await run.Publish(run.Expired(expiredAt));
        var expired = await run.LoadIn(run.Machine.Expired);

        Assert.Equal(BackupRunStates.Expired, expired.CurrentState);
        Assert.Equal("demo", expired.Source);
        Assert.Equal(requestedAt, expired.RequestedAt);
        Assert.Equal("scheduler", expired.RequestedBy);
        Assert.Equal(startedAt, expired.StartedAt);
        Assert.Equal(completedAt, expired.CompletedAt);
        Assert.Equal(deliveredAt, expired.DeliveredAt);
        Assert.Equal(expiredAt, expired.ExpiredAt);
        Assert.Equal(run.Completed(startedAt, completedAt).ArtifactKey, expired.ArtifactKey);
        Assert.Equal(123_456, expired.SizeBytes);
        Assert.Equal(493_824, expired.RawSizeBytes);
        Assert.Equal("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", expired.Sha256);
        Assert.Equal("age: completed 2026-11-24T01:05:00Z, older than 30 days", expired.ExpiryReason);
        Assert.Null(expired.FailedAt);
        Assert.Null(expired.FailureCode);
        Assert.Equal(expiredAt.AddSeconds(1), expired.UpdatedAt);
        Assert.Empty(run.Faults());
    }
}

public class When_BackupCompleted_comes_from_a_publisher_that_omits_the_raw_size
{
    [Fact]
    public async Task The_run_is_Completed_with_its_stored_size_and_no_raw_size()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var startedAt = BackupRunUnderTest.Start;

        await run.Publish(run.Completed(startedAt, startedAt.AddMinutes(1)) with { RawSizeBytes = null });
        var completed = await run.LoadIn(run.Machine.Completed);

        Assert.Equal((123_456L, (long?)null), (completed.SizeBytes, completed.RawSizeBytes));
        Assert.Empty(run.Faults());
    }
}

public class When_BackupCompleted_overtakes_BackupStarted_and_BackupRequested
{
    [Fact]
    public async Task It_ends_Completed_and_the_late_request_fills_in_when_and_by_whom_it_was_requested()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var requestedAt = BackupRunUnderTest.Start;
        var startedAt = requestedAt.AddSeconds(2);
        var completedAt = startedAt.AddMinutes(4);

        run.Clock.SetUtcNow(completedAt);
        await run.Publish(run.Completed(startedAt, completedAt));
        var completed = await run.LoadIn(run.Machine.Completed);
        Assert.Null(completed.RequestedAt);
        Assert.Equal(startedAt, completed.StartedAt);

        await run.Publish(run.Started(startedAt.AddMilliseconds(1)));
        Assert.Equal(startedAt, (await run.LoadIn(run.Machine.Completed)).StartedAt);

        run.Clock.SetUtcNow(completedAt.AddSeconds(3));
        await run.Publish(run.Requested(requestedAt));
        var late = await run.LoadIn(run.Machine.Completed);

        Assert.Equal(requestedAt, late.RequestedAt);
        Assert.Equal("scheduler", late.RequestedBy);
        Assert.Equal(startedAt, late.StartedAt);
        Assert.Equal(completedAt, late.CompletedAt);
        Assert.Equal(run.Completed(startedAt, completedAt).ArtifactKey, late.ArtifactKey);
        Assert.Equal(completedAt.AddSeconds(3), late.UpdatedAt);
        Assert.Empty(run.Faults());
    }
}

public class When_BackupStarted_overtakes_BackupRequested
{
    [Fact]
    public async Task It_stays_Running_and_the_late_request_fills_in_RequestedAt()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var requestedAt = BackupRunUnderTest.Start;

        await run.Publish(run.Started(requestedAt.AddSeconds(2)));
        Assert.Null((await run.LoadIn(run.Machine.Running)).RequestedAt);

        await run.Publish(run.Requested(requestedAt));
        var running = await run.LoadIn(run.Machine.Running);

        Assert.Equal(requestedAt, running.RequestedAt);
        Assert.Equal(requestedAt.AddSeconds(2), running.StartedAt);
        Assert.Empty(run.Faults());
    }
}

public class When_BackupCompleted_is_redelivered_after_the_run_was_delivered
{
    [Fact]
    public async Task It_stays_Delivered_and_unchanged()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var startedAt = BackupRunUnderTest.Start.AddSeconds(2);
        var completedAt = startedAt.AddMinutes(4);
        var completed = run.Completed(startedAt, completedAt);
        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        await run.Publish(run.Started(startedAt));
        await run.Publish(completed);
        run.Clock.SetUtcNow(completedAt.AddSeconds(30));
        await run.Publish(run.Delivered(completedAt.AddSeconds(30)));
        await run.LoadIn(run.Machine.Delivered);

        run.Clock.SetUtcNow(completedAt.AddMinutes(10));
        await run.Publish(completed);
        var delivered = await run.LoadIn(run.Machine.Delivered);

        Assert.Equal(BackupRunStates.Delivered, delivered.CurrentState);
        Assert.Equal(completedAt.AddSeconds(30), delivered.DeliveredAt);
        Assert.Equal(completedAt, delivered.CompletedAt);
        Assert.Equal(completedAt.AddSeconds(30), delivered.UpdatedAt); // an ignored duplicate doesn't touch the run
        Assert.Empty(run.Faults());
    }
}

public class When_the_dump_fails
{
    [Fact]
    public async Task It_ends_Failed_with_the_code_and_the_reason()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var failedAt = BackupRunUnderTest.Start.AddSeconds(17);
        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        await run.Publish(run.Started(BackupRunUnderTest.Start.AddSeconds(2)));

        run.Clock.SetUtcNow(failedAt);
        await run.Publish(run.Failed(failedAt));
        var failed = await run.LoadIn(run.Machine.Failed);

        Assert.Equal(BackupRunStates.Failed, failed.CurrentState);
        Assert.Equal(failedAt, failed.FailedAt);
        Assert.Equal("AuthenticationFailed", failed.FailureCode);
        Assert.Equal("PostgreSQL refused the credentials of source 'demo'.", failed.FailureReason);
        Assert.Null(failed.CompletedAt);
        Assert.Null(failed.ArtifactKey);
        Assert.Equal(failedAt, failed.UpdatedAt);
        Assert.Empty(run.Faults());
    }

    [Fact]
    public async Task It_becomes_Completed_when_the_same_run_later_succeeds()
    {
        // A redelivered or retried request of the same run produced an artifact after all: the catalog must know
        // it, or retention would never see that file.
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Failed(BackupRunUnderTest.Start.AddSeconds(17)));
        await run.LoadIn(run.Machine.Failed);

        var completion = run.Completed(BackupRunUnderTest.Start, BackupRunUnderTest.Start.AddMinutes(4));
        await run.Publish(completion);
        var completed = await run.LoadIn(run.Machine.Completed);

        Assert.Equal(completion.ArtifactKey, completed.ArtifactKey);
        Assert.Equal(completion.Sha256, completed.Sha256);
        Assert.Null(completed.FailureCode);
        Assert.Null(completed.FailureReason);
        Assert.Empty(run.Faults());
    }
}

public class When_a_delivery_fails_and_a_retry_succeeds
{
    [Fact]
    public async Task It_records_the_error_and_then_ends_Delivered()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var completedAt = BackupRunUnderTest.Start.AddMinutes(4);
        await run.Publish(run.Completed(BackupRunUnderTest.Start, completedAt));

        await run.Publish(run.DeliveryFailed(completedAt.AddMinutes(1)));
        Assert.Equal("SMTP server refused the message.", (await run.LoadIn(run.Machine.Completed)).DeliveryError);

        await run.Publish(run.Delivered(completedAt.AddMinutes(5)));
        var delivered = await run.LoadIn(run.Machine.Delivered);

        Assert.Equal(completedAt.AddMinutes(5), delivered.DeliveredAt);
        Assert.Empty(run.Faults());
    }
}

public class When_BackupExpired_names_a_run_the_catalog_never_saw
{
    [Fact]
    public async Task It_creates_no_run()
    {
        await using var run = await BackupRunUnderTest.StartAsync();

        await run.Publish(run.Expired(BackupRunUnderTest.Start.AddDays(31)));

        Assert.Null(await run.Load());
        Assert.Empty(run.Saga.Created.Select(_ => true, new CancellationToken(canceled: true)));
        Assert.Empty(run.Faults());
    }
}

public class When_BackupDelivered_overtakes_BackupCompleted
{
    // The notifier publishes BackupDelivered as soon as it has handled BackupCompleted from its own queue; the
    // catalog may still have BackupCompleted waiting in its queue (a retry, a restart, a backlog).
    [Fact]
    public async Task It_neither_faults_nor_loses_the_delivery()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var startedAt = BackupRunUnderTest.Start.AddSeconds(2);
        var completedAt = startedAt.AddMinutes(4);
        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        await run.Publish(run.Started(startedAt));

        await run.Publish(run.Delivered(completedAt.AddSeconds(30)));
        await run.Publish(run.Completed(startedAt, completedAt));

        Assert.Empty(run.Faults());
        var delivered = await run.LoadIn(run.Machine.Delivered);
        Assert.Equal(completedAt.AddSeconds(30), delivered.DeliveredAt);
        Assert.Equal(run.Completed(startedAt, completedAt).ArtifactKey, delivered.ArtifactKey);
    }
}

public class When_a_failure_reason_is_longer_than_its_column
{
    [Fact]
    public async Task It_is_cut_to_fit_so_the_run_is_still_recorded()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var reason = new string('x', 5000);
        await run.Publish(run.Failed(BackupRunUnderTest.Start) with { Reason = reason });
        var failed = await run.LoadIn(run.Machine.Failed);

        Assert.Equal(2000, failed.FailureReason!.Length);
        Assert.StartsWith(reason[..2000], failed.FailureReason);
        Assert.Empty(run.Faults());
    }
}
