using System.Text;

namespace Backup.Recovery.Postgres;

/// <summary>
/// The password file format libpq reads (host:port:database:username:password, '*' for any, '\' escaping ':' and
/// '\'): looked up like libpq does (PGPASSFILE, else ~/.pgpass; ignored when others can read it), and written, 0600,
/// for the pg_restore a recovery starts.
/// </summary>
public static class PgPassFile
{
    /// <summary>The file libpq would read: PGPASSFILE, else ~/.pgpass; null when there is none.</summary>
    public static string? Default()
    {
        var named = Environment.GetEnvironmentVariable("PGPASSFILE");
        if (!string.IsNullOrEmpty(named)) return File.Exists(named) ? named : null;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var path = Path.Combine(home, ".pgpass");
        return home.Length > 0 && File.Exists(path) ? path : null;
    }

    /// <summary>The first matching entry's password, or null. A file that group or others can read is ignored, as libpq does.</summary>
    public static string? Lookup(string path, string host, int port, string database, string username, Action<string>? warn = null)
    {
        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            warn?.Invoke($"password file '{path}' has group or world access and is ignored (as libpq does); chmod 0600 it.");
            return null;
        }

        var lookupHost = host.StartsWith('/') ? "localhost" : host;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = Split(line);
            if (fields.Count < 5) continue;
            if (Matches(fields[0], lookupHost) && Matches(fields[1], port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                && Matches(fields[2], database) && Matches(fields[3], username))
                return fields[4];
        }
        return null;
    }

    /// <summary>
    /// Writes a one-entry password file, readable by this user only, for one database and user on whatever server the
    /// program that reads it is told to connect to.
    /// </summary>
    public static string WriteTemporary(string folder, string database, string username, string password)
    {
        var path = Path.Combine(folder, "pgpass");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(new FileStream(path, options), new UTF8Encoding(false));
        writer.WriteLine("*:*:" + string.Join(':', new[] { database, username, password }
            .Select(field => field.Replace(@"\", @"\\").Replace(":", @"\:"))));
        return path;
    }

    static bool Matches(string field, string value) => field == "*" || field == value;

    static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length) current.Append(line[++i]);
            else if (line[i] == ':' && fields.Count < 4) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(line[i]);
        }
        fields.Add(current.ToString());
        return fields;
    }
}
