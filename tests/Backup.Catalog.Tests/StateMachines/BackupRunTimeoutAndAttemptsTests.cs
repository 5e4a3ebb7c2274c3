using Backup.Database;
using Backup.Catalog.Options;
using System.Text.Json;
using Backup.Catalog.StateMachines;
using Backup.Contracts;
using Backup.ServiceDefaults.Options;

namespace Backup.Catalog.Tests.StateMachines;

public class When_a_dump_is_retried_and_taken_over
{
    [Fact]
    public async Task It_counts_each_distinct_BackupStarted_once_whatever_the_order_and_the_repeats()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var first = BackupRunUnderTest.Start.AddSeconds(2);
        var retry = first.AddMinutes(3);
        var takeover = retry.AddMinutes(5);
        var completedAt = takeover.AddMinutes(4);

        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        await run.Publish(run.Started(first));
        await run.Publish(run.Started(first)); // redelivered
        await run.Publish(run.Started(takeover)); // overtakes the retry's
        await run.Publish(run.Started(retry));
        var running = await run.LoadIn(run.Machine.Running);
        Assert.Equal(3, running.Attempts);
        Assert.Equal(takeover, running.StartedAt);

        await run.Publish(run.Completed(takeover, completedAt));
        await run.Publish(run.Started(retry)); // a repeat after the end
        var completed = await run.LoadIn(run.Machine.Completed);
        Assert.Equal(3, completed.Attempts);
        Assert.Equal([first, takeover, retry], completed.AttemptStarts);
        Assert.Empty(run.Faults());
    }

    [Fact]
    public async Task It_counts_a_BackupStarted_that_arrives_after_the_completion()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var startedAt = BackupRunUnderTest.Start.AddSeconds(2);

        await run.Publish(run.Completed(startedAt, startedAt.AddMinutes(4)));
        await run.Publish(run.Started(startedAt));

        var completed = await run.LoadIn(run.Machine.Completed);
        Assert.Equal(1, completed.Attempts);
        Assert.Equal(startedAt, completed.StartedAt);
    }
}

public class When_a_run_is_opened
{
    [Fact]
    public async Task It_gets_the_default_timeout_from_its_request_renewed_by_each_new_attempt_and_cleared_at_the_end()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var requestedAt = BackupRunUnderTest.Start;

        await run.Publish(run.Requested(requestedAt));
        Assert.Equal(requestedAt + TimeSpan.FromHours(2), (await run.LoadIn(run.Machine.Requested)).TimeoutAt);

        var startedAt = requestedAt.AddMinutes(10);
        run.Clock.SetUtcNow(startedAt);
        await run.Publish(run.Started(startedAt));
        Assert.Equal(startedAt + TimeSpan.FromHours(2), (await run.LoadIn(run.Machine.Running)).TimeoutAt);

        run.Clock.Advance(TimeSpan.FromMinutes(1));
        await run.Publish(run.Started(startedAt)); // a repeat: no new attempt, no new timeout
        Assert.Equal(startedAt + TimeSpan.FromHours(2), (await run.LoadIn(run.Machine.Running)).TimeoutAt);

        await run.Publish(run.Failed(run.Clock.GetUtcNow()));
        Assert.Null((await run.LoadIn(run.Machine.Failed)).TimeoutAt);
    }

    [Fact]
    public async Task It_takes_the_timeout_of_its_source_when_one_is_configured()
    {
        await using var run = await BackupRunUnderTest.StartAsync(options => options.RunTimeouts["demo"] = TimeSpan.FromMinutes(30));

        await run.Publish(run.Started(BackupRunUnderTest.Start));
        var running = await run.LoadIn(run.Machine.Running);

        Assert.Equal(BackupRunUnderTest.Start + TimeSpan.FromMinutes(30), running.TimeoutAt);
        await run.Publish(run.Completed(BackupRunUnderTest.Start, BackupRunUnderTest.Start.AddMinutes(4)));
        Assert.Null((await run.LoadIn(run.Machine.Completed)).TimeoutAt);
    }
}

public class When_a_run_reports_nothing_within_its_timeout
{
    [Fact]
    public async Task It_moves_to_TimedOut_with_its_timeline_row_and_its_BackupFailed_in_the_same_DbContext()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        run.Clock.Advance(TimeSpan.FromHours(2));
        var at = run.Clock.GetUtcNow();

        var timedOut = await run.TimeOut();

        Assert.Equal(BackupRunStates.TimedOut, timedOut.CurrentState);
        Assert.Equal(at, timedOut.TimedOutAt);
        Assert.Null(timedOut.TimeoutAt);
        Assert.Equal(BackupErrorCodes.TimedOut, timedOut.FailureCode);
        Assert.Equal([(null, "Requested", "BackupRequested"), ("Requested", "TimedOut", "Timeout")], run.Transitions());
        var (type, payload) = Assert.Single(run.Outbox());
        Assert.Equal(typeof(BackupFailed).FullName, type);
        var failure = JsonSerializer.Deserialize<BackupFailed>(payload, JsonSerializerOptions.Web)!;
        Assert.Equal((run.RunId, "demo", at, BackupErrorCodes.TimedOut), (failure.RunId, failure.Source, failure.FailedAt, failure.ErrorCode));
        Assert.Equal(timedOut.FailureReason, failure.Reason);
        Assert.Contains("No dumper started it", failure.Reason);
        Assert.Empty(run.Faults());
    }

    [Fact]
    public async Task It_says_to_check_the_dump_job_of_a_run_that_was_Running()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Started(BackupRunUnderTest.Start));

        var timedOut = await run.TimeOut();

        Assert.Contains($"kind 'dump', key '{run.RunId:N}'", timedOut.FailureReason);
        Assert.Equal([(null, "Running", "BackupStarted"), ("Running", "TimedOut", "Timeout")], run.Transitions());
    }

    [Fact]
    public async Task It_ignores_the_timer_when_a_new_attempt_renewed_the_timeout_in_between()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Started(BackupRunUnderTest.Start));
        run.Clock.Advance(TimeSpan.FromHours(2));
        var due = run.Clock.GetUtcNow();
        await run.Publish(run.Started(due)); // a takeover, just before the sweeper's event is handled

        await run.Publish(run.TimedOut(due));

        var running = await run.LoadIn(run.Machine.Running);
        Assert.Null(running.TimedOutAt);
        Assert.Empty(run.Outbox());
        Assert.Empty(run.Faults());
    }

    [Fact]
    public async Task It_ignores_the_timer_of_a_run_that_completed_first()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Started(BackupRunUnderTest.Start));
        run.Clock.Advance(TimeSpan.FromHours(2));
        await run.Publish(run.Completed(BackupRunUnderTest.Start, run.Clock.GetUtcNow()));

        await run.Publish(run.TimedOut(run.Clock.GetUtcNow()));

        var completed = await run.LoadIn(run.Machine.Completed);
        Assert.Null(completed.TimedOutAt);
        Assert.Null(completed.FailureCode);
        Assert.Empty(run.Outbox());
        Assert.Equal([(null, "Running", "BackupStarted"), ("Running", "Completed", "BackupCompleted")], run.Transitions());
        Assert.Empty(run.Faults());
    }
}

public class When_a_timed_out_run_completes_late
{
    [Fact]
    public async Task It_ignores_its_own_TimedOut_failure_then_records_the_artifact_and_ends_Completed()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var startedAt = BackupRunUnderTest.Start;
        await run.Publish(run.Started(startedAt));
        run.Clock.Advance(TimeSpan.FromHours(2));
        await run.TimeOut();

        await run.Publish(run.TimedOutFailure(run.Clock.GetUtcNow())); // the sweeper's own, back from the bus
        Assert.Equal(BackupErrorCodes.TimedOut, (await run.LoadIn(run.Machine.TimedOut)).FailureCode);

        run.Clock.Advance(TimeSpan.FromMinutes(20));
        var completedAt = run.Clock.GetUtcNow();
        await run.Publish(run.Completed(startedAt, completedAt));
        var completed = await run.LoadIn(run.Machine.Completed);

        Assert.Equal(run.Completed(startedAt, completedAt).ArtifactKey, completed.ArtifactKey);
        Assert.Equal(completedAt, completed.CompletedAt);
        Assert.NotNull(completed.TimedOutAt);
        Assert.Null(completed.FailureCode);
        Assert.Null(completed.TimeoutAt);
        Assert.Empty(run.Faults());
    }

    [Fact]
    public async Task It_ends_Delivered_when_the_delivery_overtook_the_completion()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Started(BackupRunUnderTest.Start));
        await run.TimeOut();
        var completedAt = BackupRunUnderTest.Start.AddHours(3);

        await run.Publish(run.Delivered(completedAt.AddSeconds(5)));
        Assert.Equal(BackupRunStates.TimedOut, (await run.LoadIn(run.Machine.TimedOut)).CurrentState);
        await run.Publish(run.Completed(BackupRunUnderTest.Start, completedAt));

        var delivered = await run.LoadIn(run.Machine.Delivered);
        Assert.NotNull(delivered.ArtifactKey);
        Assert.Equal(completedAt.AddSeconds(5), delivered.DeliveredAt);
    }

    [Fact]
    public async Task It_ends_Failed_with_the_dumpers_own_reason_when_that_comes_late()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        await run.Publish(run.Requested(BackupRunUnderTest.Start));
        await run.TimeOut();

        await run.Publish(run.Failed(BackupRunUnderTest.Start.AddHours(3)));

        var failed = await run.LoadIn(run.Machine.Failed);
        Assert.Equal("AuthenticationFailed", failed.FailureCode);
        Assert.Empty(run.Faults());
    }
}

public class When_a_run_changes_state
{
    [Fact]
    public async Task It_adds_one_timeline_row_per_change_to_the_same_DbContext_and_none_for_repeats()
    {
        await using var run = await BackupRunUnderTest.StartAsync();
        var at = BackupRunUnderTest.Start;

        await run.Publish(run.Requested(at));
        run.Clock.Advance(TimeSpan.FromSeconds(1));
        await run.Publish(run.Requested(at));
        run.Clock.Advance(TimeSpan.FromSeconds(1));
        await run.Publish(run.Started(at.AddSeconds(2)));
        run.Clock.Advance(TimeSpan.FromSeconds(1));
        await run.Publish(run.Started(at.AddSeconds(3))); // a new attempt: counted, but no change of state
        run.Clock.Advance(TimeSpan.FromSeconds(1));
        await run.Publish(run.Completed(at.AddSeconds(3), at.AddMinutes(4)));
        run.Clock.Advance(TimeSpan.FromSeconds(1));
        await run.Publish(run.Delivered(at.AddMinutes(5)));
        await run.LoadIn(run.Machine.Delivered);

        Assert.Equal(
        [
            (null, "Requested", "BackupRequested"),
            ("Requested", "Running", "BackupStarted"),
            ("Running", "Completed", "BackupCompleted"),
            ("Completed", "Delivered", "BackupDelivered"),
        ], run.Transitions());
    }
}

public class When_the_catalog_options_are_validated
{
    [Fact]
    public void It_names_a_per_source_timeout_with_a_bad_source_name_or_duration()
    {
        var options = new CatalogOptions
        {
            RunTimeouts = { ["Bad Name"] = TimeSpan.FromHours(1), ["warehouse"] = TimeSpan.Zero, ["demo"] = TimeSpan.FromHours(6) },
        };

        var problems = ValidatedOptions.Problems(options, CatalogOptions.Section).ToList();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Catalog:RunTimeouts:Bad Name: is not a source name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Catalog:RunTimeouts:warehouse: must be between", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromHours(6), options.RunTimeoutOf("demo"));
        Assert.Equal(TimeSpan.FromHours(2), options.RunTimeoutOf("other"));
    }
}
