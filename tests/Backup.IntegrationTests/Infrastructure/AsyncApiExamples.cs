using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// Reads the message examples of specs/011-automated-backup/asyncapi.yaml, so that the tests publish exactly what the
/// specification tells a non-.NET service to publish: a wrong example fails a test.
/// </summary>
public static class AsyncApiExamples
{
    public static JsonObject Payload(string message, string exampleName)
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "specs", "011-automated-backup", "asyncapi.yaml"));
        var document = new DeserializerBuilder().Build().Deserialize<object>(yaml);
        // YAML → JSON through the generic object graph: scalars stay strings, which is what the wire carries anyway.
        var json = JsonNode.Parse(JsonSerializer.Serialize(document))!;
        var examples = json["components"]!["messages"]![message]!["examples"]!.AsArray();
        var example = examples.Single(e => (string?)e!["name"] == exampleName)!;
        return example["payload"]!.DeepClone().AsObject();
    }

    public static string ContentType(string message)
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "specs", "011-automated-backup", "asyncapi.yaml"));
        var json = JsonNode.Parse(JsonSerializer.Serialize(new DeserializerBuilder().Build().Deserialize<object>(yaml)))!;
        return (string)json["components"]!["messages"]![message]!["contentType"]!;
    }
}
