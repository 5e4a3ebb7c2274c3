namespace Backup.Ctl;

/// <summary>Passwords and passphrases come from files (never the command line, where every user sees them): their first line.</summary>
public static class SecretFiles
{
    public static string ReadFirstLine(string path, string option)
    {
        if (!File.Exists(path))
            throw CommandFailure.Usage($"{option} '{path}' does not exist.");
        using var reader = new StreamReader(path);
        var line = reader.ReadLine();
        if (string.IsNullOrEmpty(line))
            throw CommandFailure.Usage($"{option} '{path}' is empty; its first line must hold the secret.");
        return line;
    }
}
