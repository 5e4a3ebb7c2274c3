using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Backup.Deploy.Tests.Compose;

/// <summary>
/// Reads YAML into plain values (dictionaries, lists, strings, null) with anchors followed and merge keys
/// (<c>&lt;&lt;: *anchor</c>, <c>&lt;&lt;: [*a, *b]</c>) applied as Compose applies them: a key written in the mapping
/// wins over a merged one, and an earlier merged mapping wins over a later one.
/// </summary>
public static class YamlTree
{
    public static IReadOnlyDictionary<string, object?> ParseMapping(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count != 1 || ToPlain(stream.Documents[0].RootNode) is not IReadOnlyDictionary<string, object?> root)
        {
            throw new FormatException("Expected one YAML document whose root is a mapping.");
        }

        return root;
    }

    private static object? ToPlain(YamlNode node) => node switch
    {
        YamlScalarNode scalar when scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" => null,
        YamlScalarNode scalar => scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(ToPlain).ToList(),
        YamlMappingNode mapping => ToDictionary(mapping),
        _ => throw new FormatException($"Unexpected YAML node {node.NodeType} at {node.Start}."),
    };

    private static Dictionary<string, object?> ToDictionary(YamlMappingNode mapping)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (KeyOf(key) != "<<")
            {
                continue;
            }

            var merged = value is YamlSequenceNode many ? many.Children : [value];
            foreach (var source in merged)
            {
                if (ToPlain(source) is not Dictionary<string, object?> entries)
                {
                    throw new FormatException($"A merge key must name mappings ({source.Start}).");
                }

                foreach (var (mergedKey, mergedValue) in entries)
                {
                    result.TryAdd(mergedKey, mergedValue);
                }
            }
        }

        foreach (var (key, value) in mapping.Children)
        {
            var name = KeyOf(key);
            if (name != "<<")
            {
                result[name] = ToPlain(value);
            }
        }

        return result;
    }

    private static string KeyOf(YamlNode key) =>
        key is YamlScalarNode { Value: { } name } ? name : throw new FormatException($"Non-scalar key at {key.Start}.");
}
