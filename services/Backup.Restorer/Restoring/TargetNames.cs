using System.Globalization;

namespace Backup.Restorer.Restoring;

/// <summary>The database a restore goes to when the request names none: "&lt;source&gt;_restore_&lt;yyyyMMddHHmmss&gt;" (UTC).</summary>
public static class TargetNames
{
    const int MaxLength = 63;

    /// <summary>
    /// A plain identifier made from the source's name ('-' becomes '_', a leading digit gets a '_' before it, cut so
    /// that the whole name fits PostgreSQL's 63 characters) and the time.
    /// </summary>
    public static string Default(string source, DateTimeOffset at)
    {
        var suffix = string.Create(CultureInfo.InvariantCulture, $"_restore_{at.UtcDateTime:yyyyMMddHHmmss}");
        var name = source.Replace('-', '_');
        if (name.Length == 0 || char.IsAsciiDigit(name[0])) name = "_" + name;
        if (name.Length > MaxLength - suffix.Length) name = name[..(MaxLength - suffix.Length)];
        return name + suffix;
    }
}
