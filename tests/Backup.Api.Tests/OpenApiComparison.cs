using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Backup.Api.Tests;

/// <summary>
/// Compares two OpenAPI 3.0 documents by what a client relies on: every (path, method); per operation its parameters
/// (name, in, required, schema type and format), its request body (required, media types, schema) and, per response
/// status, its headers (name, schema type and pattern), media types and schema. Schemas are compared after resolving $ref (component names may differ),
/// property by property: type, format, nullable, required, array items and additional properties. Descriptions,
/// examples, tags and security are not compared (the served document cannot carry all of them),
/// nor a property marked "x-problem-extension: true": an RFC 7807 extension member such as the 400's "field", which
/// the served ProblemDetails schema has no place for.
/// </summary>
public static class OpenApiComparison
{
    /// <summary>Every difference, each a line naming where it is and what each side says; empty when they agree.</summary>
    public static IReadOnlyList<string> Differences(JsonNode served, JsonNode written, string servedName = "served", string writtenName = "api.yaml")
    {
        var left = Facts(served);
        var right = Facts(written);
        var differences = new List<string>();
        foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var inLeft = left.TryGetValue(key, out var l);
            var inRight = right.TryGetValue(key, out var r);
            if (inLeft && !inRight) differences.Add($"{key}: only in the {servedName} document ({l})");
            else if (!inLeft && inRight) differences.Add($"{key}: only in {writtenName} ({r})");
            else if (l != r) differences.Add($"{key}: {servedName} says {l}, {writtenName} says {r}");
        }
        return differences;
    }

    /// <summary>The document as facts: a location (operation, parameter, schema property) and what it is there.</summary>
    public static SortedDictionary<string, string> Facts(JsonNode document)
    {
        var facts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var methods = new[] { "get", "put", "post", "delete", "patch", "head", "options", "trace" };
        foreach (var (path, pathItem) in document["paths"]?.AsObject() ?? [])
        {
            if (pathItem is null) continue;
            var shared = pathItem["parameters"]?.AsArray();
            foreach (var method in methods)
            {
                if (pathItem[method] is not JsonObject operation) continue;
                var at = $"{method.ToUpperInvariant()} {path}";
                facts[at] = "operation";

                var parameters = (shared ?? []).Concat(operation["parameters"]?.AsArray() ?? []).Select(p => Resolve(document, p, []));
                foreach (var parameter in parameters.OfType<JsonObject>())
                {
                    var name = Text(parameter["name"]);
                    var place = Text(parameter["in"]);
                    // Header names are case-insensitive.
                    var key = place == "header" ? name?.ToLowerInvariant() : name;
                    var schema = Normalise(document, parameter["schema"], []);
                    facts[$"{at} parameter {place}:{key}"] =
                        $"required={Flag(parameter["required"])} {Describe(schema)}";
                }

                if (Resolve(document, operation["requestBody"], []) is JsonObject body)
                {
                    facts[$"{at} requestBody"] = $"required={Flag(body["required"])}";
                    foreach (var (mediaType, media) in body["content"]?.AsObject() ?? [])
                        Flatten(document, media?["schema"], $"{at} requestBody {mediaType} $", required: null, facts, []);
                }

                foreach (var (status, response) in operation["responses"]?.AsObject() ?? [])
                {
                    var resolved = Resolve(document, response, []);
                    facts[$"{at} response {status}"] = "response";
                    foreach (var (name, header) in resolved?["headers"]?.AsObject() ?? [])
                    {
                        var schema = Normalise(document, Resolve(document, header, [])?["schema"], []);
                        facts[$"{at} response {status} header {name.ToLowerInvariant()}"] =
                            Describe(schema) + (Text(schema?.Node["pattern"]) is { } pattern ? $" pattern={pattern}" : "");
                    }
                    foreach (var (mediaType, media) in resolved?["content"]?.AsObject() ?? [])
                        Flatten(document, media?["schema"], $"{at} response {status} {mediaType} $", required: null, facts, []);
                }
            }
        }
        return facts;
    }

    static void Flatten(JsonNode document, JsonNode? schema, string at, bool? required, IDictionary<string, string> facts, HashSet<string> refs)
    {
        var normal = Normalise(document, schema, refs);
        facts[at] = (required is { } r ? $"required={(r ? "true" : "false")} " : "") + Describe(normal);
        if (normal is null) return;
        var seen = new HashSet<string>(refs);
        if (normal.Reference is { } reference && !seen.Add(reference)) return; // a cycle: described once
        var requiredNames = normal.Node["required"]?.AsArray().Select(Text).OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var (name, property) in normal.Node["properties"]?.AsObject() ?? [])
            if (!Flag(property?["x-problem-extension"]))
                Flatten(document, property, $"{at}.{name}", requiredNames.Contains(name), facts, seen);
        foreach (var name in requiredNames.Where(n => normal.Node["properties"]?[n] is null))
            facts[$"{at}.{name}"] = "required but not a property";
        if (normal.Node["items"] is { } items) Flatten(document, items, $"{at}[]", required: null, facts, seen);
        if (normal.Node["additionalProperties"] is JsonObject additional) Flatten(document, additional, $"{at}{{*}}", required: null, facts, seen);
    }

    sealed record Schema(JsonObject Node, string? Type, string? Format, bool Nullable, string? Reference);

    /// <summary>
    /// One schema, as both documents may spell it: $ref resolved; "oneOf: [{nullable: true}, X]" (what ASP.NET Core
    /// writes for a nullable reference) and "allOf: [X], nullable: true" (how one writes it by hand) both read as X,
    /// nullable; an integer without a type but with an int32/int64 format (ASP.NET Core's 3.0 rendering of numbers
    /// it also reads from strings) reads as type integer.
    /// </summary>
    static Schema? Normalise(JsonNode document, JsonNode? node, HashSet<string> refs)
    {
        if (node is not JsonObject raw) return null;
        var reference = Text(raw["$ref"]);
        var obj = Resolve(document, raw, refs) as JsonObject ?? raw;
        var nullable = Flag(raw["nullable"]) || Flag(obj["nullable"]);
        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (obj[combinator] is not JsonArray options) continue;
            var meaningful = options.OfType<JsonObject>().Where(o => !(o.Count == 1 && o["nullable"] is not null)).ToList();
            if (meaningful.Count != 1) continue;
            nullable |= options.OfType<JsonObject>().Any(o => Flag(o["nullable"]));
            var inner = Normalise(document, meaningful[0], refs);
            if (inner is null) return null;
            return inner with { Nullable = inner.Nullable || nullable, Reference = inner.Reference ?? reference };
        }
        var type = Text(obj["type"]);
        var format = Text(obj["format"]);
        if (type is null && format is "int32" or "int64") type = "integer";
        if (type is null && (obj["properties"] is not null)) type = "object";
        return new Schema(obj, type, format, nullable, reference ?? Text(raw["$ref"]));
    }

    static string Describe(Schema? schema) => schema is null ? "no schema"
        : $"type={schema.Type ?? "any"}" + (schema.Format is { } f ? $" format={f}" : "") + (schema.Nullable ? " nullable" : "");

    static JsonNode? Resolve(JsonNode document, JsonNode? node, HashSet<string> refs)
    {
        for (var depth = 0; depth < 20 && node is JsonObject obj && Text(obj["$ref"]) is { } reference; depth++)
        {
            if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new InvalidOperationException($"Only local references are supported, not '{reference}'.");
            JsonNode? target = document;
            foreach (var part in reference[2..].Split('/'))
                target = target?[part.Replace("~1", "/").Replace("~0", "~")];
            node = target ?? throw new InvalidOperationException($"'{reference}' points at nothing.");
        }
        return node;
    }

    static string? Text(JsonNode? node) => node is JsonValue value ? value.ToString() : null;

    static bool Flag(JsonNode? node) => string.Equals(Text(node), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A YAML document as JSON nodes (scalars as strings; true/false and numbers compare by their text).</summary>
    public static JsonNode ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml)) stream.Load(reader);
        return ToJson(stream.Documents[0].RootNode) ?? new JsonObject();
    }

    static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "null" or "~" or "" => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType}."),
    };
}
