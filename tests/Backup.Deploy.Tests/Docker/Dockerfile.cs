using System.Text.RegularExpressions;

namespace Backup.Deploy.Tests.Docker;

public sealed record Instruction(string Keyword, string Arguments);

/// <summary>A Dockerfile read as instructions (continuation lines joined, comments dropped), split into stages at each FROM.</summary>
public sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<IReadOnlyList<Instruction>> stages) => Stages = stages;

    /// <summary>Each stage's instructions, its FROM first.</summary>
    public IReadOnlyList<IReadOnlyList<Instruction>> Stages { get; }

    public IReadOnlyList<Instruction> FinalStage => Stages.Count == 0 ? [] : Stages[^1];

    /// <summary>The user the image runs as: the final stage's last USER, or null (root) when it has none.</summary>
    public string? FinalUser => FinalStage.LastOrDefault(instruction => instruction.Keyword == "USER")?.Arguments;

    public static Dockerfile Load(string path) => Parse(File.ReadAllText(path));

    public static Dockerfile Parse(string text)
    {
        var stages = new List<List<Instruction>>();
        foreach (var line in LogicalLines(text))
        {
            var match = InstructionPattern().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var instruction = new Instruction(match.Groups["keyword"].Value.ToUpperInvariant(), match.Groups["arguments"].Value.Trim());
            if (instruction.Keyword == "FROM")
            {
                stages.Add([]);
            }

            if (stages.Count > 0)
            {
                stages[^1].Add(instruction);
            }
        }

        return new Dockerfile(stages);
    }

    /// <summary>
    /// The final stage's RUN commands with its ARGs replaced by their values: the build arg given, else the ARG's default.
    /// </summary>
    public IReadOnlyList<string> FinalRunCommands(IReadOnlyDictionary<string, string?> buildArgs) => RunCommands(FinalStage, buildArgs);

    /// <summary>The RUN commands of the stage named <paramref name="name"/> (FROM … AS name), its ARGs replaced likewise.</summary>
    public IReadOnlyList<string> RunCommands(string name, IReadOnlyDictionary<string, string?> buildArgs) =>
        RunCommands(Stages.Single(stage => stage[0].Arguments.EndsWith($" AS {name}", StringComparison.OrdinalIgnoreCase)), buildArgs);

    private static List<string> RunCommands(IReadOnlyList<Instruction> stage, IReadOnlyDictionary<string, string?> buildArgs)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var declaration in stage.Where(instruction => instruction.Keyword == "ARG"))
        {
            var parts = declaration.Arguments.Split('=', 2);
            args[parts[0]] = buildArgs.GetValueOrDefault(parts[0]) ?? (parts.Length == 2 ? parts[1].Trim('"', '\'') : "");
        }

        return stage
            .Where(instruction => instruction.Keyword == "RUN")
            .Select(run => VariablePattern().Replace(run.Arguments, variable =>
                args.GetValueOrDefault(variable.Groups["braced"].Success ? variable.Groups["braced"].Value : variable.Groups["bare"].Value)
                ?? variable.Value))
            .ToList();
    }

    private static IEnumerable<string> LogicalLines(string text)
    {
        var current = "";
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.TrimStart();
            if (line.StartsWith('#'))
            {
                continue; // comments and parser directives, also inside a continued instruction
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            yield return current + line;
            current = "";
        }

        if (current.Length > 0)
        {
            yield return current;
        }
    }

    [GeneratedRegex(@"^(?<keyword>[A-Za-z]+)\s+(?<arguments>.*)$")]
    private static partial Regex InstructionPattern();

    [GeneratedRegex(@"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariablePattern();
}
