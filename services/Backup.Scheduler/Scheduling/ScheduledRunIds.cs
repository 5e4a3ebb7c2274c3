using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backup.Scheduler.Scheduling;

/// <summary>
/// The run id of a scheduled backup is derived from the source and the occurrence (a name-based UUID), so the same
/// occurrence published twice (a restart, a second scheduler) is the same run, and consumers treat it as a duplicate.
/// </summary>
public static class ScheduledRunIds
{
    public static Guid For(string source, DateTimeOffset occurrence)
    {
        var name = string.Create(CultureInfo.InvariantCulture,
            $"backup-schedule:{source}:{occurrence.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        var bytes = hash[..16].ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
