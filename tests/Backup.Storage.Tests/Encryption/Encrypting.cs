using Backup.Storage.Encryption;
using Microsoft.Extensions.Options;

namespace Backup.Storage.Tests.Encryption;

/// <summary>Our encryptor and decryptor, driven the way the dumper and the recovery tool drive them.</summary>
static class Encrypting
{
    public static OpenPgpEncryptor Encryptor(EncryptionOptions options, TimeProvider? time = null) => new(Options.Create(options), time);

    /// <summary>Writes in uneven pieces (one byte, a few KB, more than a chunk) so slicing and partial packets are exercised.</summary>
    public static byte[] Encrypt(OpenPgpEncryptor encryptor, byte[] plaintext)
    {
        using var output = new MemoryStream();
        using (var encrypting = encryptor.Encrypt(output))
        {
            int[] sizes = [1, 4093, 200_000, 65_536];
            for (int offset = 0, i = 0; offset < plaintext.Length; i++)
            {
                var count = Math.Min(sizes[i % sizes.Length], plaintext.Length - offset);
                encrypting.Write(plaintext, offset, count);
                offset += count;
            }
        }

        return output.ToArray();
    }

    public static async Task<byte[]> EncryptAsync(OpenPgpEncryptor encryptor, byte[] plaintext)
    {
        using var output = new MemoryStream();
        await using (var encrypting = encryptor.Encrypt(output))
            await new MemoryStream(plaintext).CopyToAsync(encrypting);
        return output.ToArray();
    }

    public static byte[] Decrypt(byte[] ciphertext, DecryptionKeys keys)
    {
        using var decrypting = OpenPgpEncryptor.Decrypt(new MemoryStream(ciphertext), keys);
        using var plaintext = new MemoryStream();
        decrypting.CopyTo(plaintext);
        return plaintext.ToArray();
    }
}

/// <summary>A clock that stands still until a test moves it.</summary>
sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
