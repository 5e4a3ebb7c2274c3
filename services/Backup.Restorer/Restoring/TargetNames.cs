using System.Globalization;

namespace Backup.Restorer.Restoring;

/// <summary>
/// The database a restore goes to when the request names none: "&lt;source&gt;_restore_&lt;yyyyMMddHHmmss&gt;_&lt;6 hex&gt;"
/// (UTC, and the start of the restore id, so two restores of one source in the same second get different databases).
/// </summary>
public static class TargetNames
{
    const int MaxLength = 63;

    /// <summary>
    /// A plain identifier made from the source's name ('-' becomes '_', a leading digit gets a '_' before it, cut so
    /// that the whole name fits PostgreSQL's 63 characters), the time and the first six hex digits of the restore id.
    /// </summary>
    public static string Default(string source, DateTimeOffset at, Guid restoreId)
    {
        var suffix = string.Create(CultureInfo.InvariantCulture, $"_restore_{at.UtcDateTime:yyyyMMddHHmmss}_{restoreId.ToString("N")[..6]}");
        var name = source.Replace('-', '_');
        if (name.Length == 0 || char.IsAsciiDigit(name[0])) name = "_" + name;
        if (name.Length > MaxLength - suffix.Length) name = name[..(MaxLength - suffix.Length)];
        return name + suffix;
    }
}
