using System.Diagnostics;

namespace Backup.ServiceDefaults;

/// <summary>How a span says its work failed: status Error with the reason, and an <c>exception</c> event (OpenTelemetry's
/// exception semantic conventions) with the error code or exception type and the message.</summary>
public static class SpanOutcomes
{
    /// <summary>A failure reported as an outcome (an error code and a reason already fit for users: no secrets).</summary>
    public static void RecordFailure(this Activity? span, string errorCode, string reason)
    {
        if (span is null) return;
        span.SetStatus(ActivityStatusCode.Error, $"{errorCode}: {Text.Clip(reason, 500)}");
        span.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            ["exception.type"] = errorCode,
            ["exception.message"] = reason,
        }));
    }

    /// <summary>A failure that threw: status Error and the exception (type, message, stack trace) as an event.</summary>
    public static void RecordException(this Activity? span, Exception exception)
    {
        if (span is null) return;
        span.SetStatus(ActivityStatusCode.Error, Text.Clip(exception.Message, 500));
        span.AddException(exception);
    }
}
