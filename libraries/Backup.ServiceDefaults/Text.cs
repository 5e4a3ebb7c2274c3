using System.Diagnostics.CodeAnalysis;

namespace Backup.ServiceDefaults;

/// <summary>Text from a message, a process or a person, fitted to where it goes (a column, an event, a log).</summary>
public static class Text
{
    /// <summary>The ellipsis that ends text cut by <see cref="Clip"/> when the reader should see it was cut.</summary>
    public const string Ellipsis = "…";

    /// <summary>
    /// <paramref name="value"/> cut to at most <paramref name="length"/> characters (an over-long reason must not keep
    /// a row out of the catalog). With <paramref name="mark"/> (e.g. <see cref="Ellipsis"/>), cut text ends with it,
    /// still within <paramref name="length"/>. Null stays null.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? Clip(string? value, int length, string mark = "")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, mark.Length + 1);
        return value is null || value.Length <= length ? value : value[..(length - mark.Length)] + mark;
    }
}
