using System.Text.RegularExpressions;

namespace Backup.ServiceDefaults;

/// <summary>
/// A source's name is configuration, and it becomes part of artifact keys and file names, so it is held to a strict
/// shape: lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters.
/// </summary>
public static partial class SourceNames
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid(string? name) => name is not null && Shape().IsMatch(name);

    public const string Rule = "lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters";
}
