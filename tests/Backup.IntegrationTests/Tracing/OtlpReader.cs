using Google.Protobuf;

namespace Backup.IntegrationTests.Tracing;

/// <summary>A span as a service exported it: ids in lower-case hex, as in a W3C traceparent.</summary>
public sealed record ReceivedSpan(
    string Service,
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    ulong StartNanos,
    ulong EndNanos,
    IReadOnlyDictionary<string, string> Attributes,
    int StatusCode,
    string StatusMessage,
    IReadOnlyList<ReceivedEvent> Events)
{
    /// <summary>OTLP's STATUS_CODE_ERROR.</summary>
    public const int Error = 2;

    public string? this[string attribute] => Attributes.GetValueOrDefault(attribute);

    public override string ToString() => $"{Service} '{Name}' {SpanId} ← {ParentSpanId}";
}

public sealed record ReceivedEvent(string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>A log record as a service exported it, with the trace and span it was written in (empty when none).</summary>
public sealed record ReceivedLog(
    string Service,
    string TraceId,
    string SpanId,
    string Severity,
    string Body,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>Everything the record carries as text: its body and every attribute's key and value.</summary>
    public IEnumerable<string> Texts() => Attributes.SelectMany(a => new[] { a.Key, a.Value }).Append(Body);
}

/// <summary>
/// Reads the OTLP/HTTP protobuf bodies (ExportTraceServiceRequest, ExportLogsServiceRequest) by the field numbers of
/// opentelemetry-proto's trace/v1/trace.proto, logs/v1/logs.proto, resource/v1/resource.proto and common/v1/common.proto,
/// with Google.Protobuf's CodedInputStream; fields it does not need are skipped.
/// </summary>
public static class OtlpReader
{
    public static IEnumerable<ReceivedSpan> Spans(byte[] exportTraceServiceRequest)
    {
        foreach (var resourceSpans in Repeated(exportTraceServiceRequest, 1))
        {
            var service = ServiceName(resourceSpans);
            foreach (var scopeSpans in Repeated(resourceSpans, 2))
            {
                var scope = ScopeName(scopeSpans);
                foreach (var span in Repeated(scopeSpans, 2))
                    yield return Span(service, scope, span);
            }
        }
    }

    public static IEnumerable<ReceivedLog> Logs(byte[] exportLogsServiceRequest)
    {
        foreach (var resourceLogs in Repeated(exportLogsServiceRequest, 1))
        {
            var service = ServiceName(resourceLogs);
            foreach (var scopeLogs in Repeated(resourceLogs, 2))
            foreach (var record in Repeated(scopeLogs, 2))
                yield return Log(service, record);
        }
    }

    static ReceivedSpan Span(string service, string scope, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "", statusMessage = "";
        int kind = 0, statusCode = 0;
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, string>();
        var events = new List<ReceivedEvent>();
        var input = new CodedInputStream(span);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Hex(input.ReadBytes()); break;
                case 2: spanId = Hex(input.ReadBytes()); break;
                case 4: parent = Hex(input.ReadBytes()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                case 11: events.Add(Event(input.ReadBytes().ToByteArray())); break;
                case 15: (statusCode, statusMessage) = Status(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, start, end, attributes, statusCode, statusMessage, events);
    }

    static ReceivedLog Log(string service, byte[] record)
    {
        string traceId = "", spanId = "", severity = "", body = "";
        var attributes = new Dictionary<string, string>();
        var input = new CodedInputStream(record);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 3: severity = input.ReadString(); break;
                case 5: body = AnyValue(input.ReadBytes().ToByteArray()); break;
                case 6: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                case 9: traceId = Hex(input.ReadBytes()); break;
                case 10: spanId = Hex(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedLog(service, traceId, spanId, severity, body, attributes);
    }

    static ReceivedEvent Event(byte[] spanEvent)
    {
        var name = "";
        var attributes = new Dictionary<string, string>();
        var input = new CodedInputStream(spanEvent);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2: name = input.ReadString(); break;
                case 3: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedEvent(name, attributes);
    }

    static (int Code, string Message) Status(byte[] status)
    {
        var (code, message) = (0, "");
        var input = new CodedInputStream(status);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2: message = input.ReadString(); break;
                case 3: code = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (code, message);
    }

    // ResourceSpans/ResourceLogs field 1 is the Resource, whose field 1 holds its attributes.
    static string ServiceName(byte[] resourceSignal)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var resource in Repeated(resourceSignal, 1))
        foreach (var keyValue in Repeated(resource, 1))
            AddKeyValue(attributes, keyValue);
        return attributes.GetValueOrDefault("service.name", "");
    }

    // ScopeSpans/ScopeLogs field 1 is the InstrumentationScope, whose field 1 is its name.
    static string ScopeName(byte[] scopeSignal)
    {
        foreach (var scope in Repeated(scopeSignal, 1))
        {
            var input = new CodedInputStream(scope);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1) return input.ReadString();
                input.SkipLastField();
            }
        }
        return "";
    }

    static void AddKeyValue(Dictionary<string, string> into, byte[] keyValue)
    {
        string key = "", value = "";
        var input = new CodedInputStream(keyValue);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;
                case 2: value = AnyValue(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }
        into[key] = value;
    }

    // AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7; compound values as their parts joined.
    static string AnyValue(byte[] anyValue)
    {
        var input = new CodedInputStream(anyValue);
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            0 => "",
            1 => input.ReadString(),
            2 => input.ReadBool() ? "true" : "false",
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            5 => string.Join(",", Repeated(input.ReadBytes().ToByteArray(), 1).Select(AnyValue)),
            6 => string.Join(",", Repeated(input.ReadBytes().ToByteArray(), 1).Select(kv =>
            {
                var one = new Dictionary<string, string>();
                AddKeyValue(one, kv);
                return string.Join(",", one.Select(p => $"{p.Key}={p.Value}"));
            })),
            7 => Hex(input.ReadBytes()),
            _ => "",
        };
    }

    /// <summary>The length-delimited occurrences of field <paramref name="field"/> of a message.</summary>
    static List<byte[]> Repeated(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                found.Add(input.ReadBytes().ToByteArray());
            else
                input.SkipLastField();
        }
        return found;
    }

    static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
