using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Backup.Storage.Streams;

namespace Backup.Storage.Encryption;

/// <summary>
/// The plaintext of an OpenPGP encrypted message, decrypted as it is read. Reaching the end checks the
/// modification detection code; data that fails it, or ends early, throws <see cref="InvalidDataException"/>
/// instead of ending quietly. Only integrity-protected messages are opened at all.
/// </summary>
sealed class DecryptingStream : ReadOnlyStream
{
    readonly Stream plaintext;
    readonly PgpEncryptedData encrypted;
    bool checkedIntegrity;

    DecryptingStream(Stream plaintext, PgpEncryptedData encrypted)
    {
        this.plaintext = plaintext;
        this.encrypted = encrypted;
    }

    public static DecryptingStream Open(Stream input, DecryptionKeys keys)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(keys);
        try
        {
            var factory = new PgpObjectFactory(Decoded(input));
            var item = factory.NextPgpObject();
            while (item is PgpMarker) item = factory.NextPgpObject();
            if (item is not PgpEncryptedDataList list)
                throw new InvalidDataException("This is not an OpenPGP encrypted message.");

            var (data, clear) = OpenAny(list, keys);
            var packets = new PgpObjectFactory(clear);
            var content = packets.NextPgpObject();
            if (content is PgpCompressedData compressed)
            {
                // Not made by this service (it never compresses), but gpg does by default.
                packets = new PgpObjectFactory(compressed.GetDataStream());
                content = packets.NextPgpObject();
            }

            // A signature (gpg --sign --encrypt) is not checked: this service never signs, and the MDC covers integrity.
            if (content is PgpOnePassSignatureList) content = packets.NextPgpObject();
            if (content is not PgpLiteralData literal)
                throw new InvalidDataException("The encrypted message holds no literal data.");
            return new DecryptingStream(literal.GetInputStream(), data);
        }
        catch (Exception e) when (e is PgpException or IOException)
        {
            // BouncyCastle reports malformed packets and armor as IOException too; the first packets are all read here.
            throw new InvalidDataException($"The encrypted message is damaged or incomplete ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Binary (a packet tag has its high bit set) or ASCII-armored, told from the first bytes. Unlike
    /// <see cref="PgpUtilities.GetDecoderStream"/>, this works on a pipe too: it needs no seeking.
    /// </summary>
    static Stream Decoded(Stream input)
    {
        var head = new byte[64];
        var length = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (length == 0) throw new InvalidDataException("The input is empty; it is not an OpenPGP encrypted message.");
        var start = head.AsSpan(0, length);
        var whole = new HeadThenRest(head, length, input);
        if ((start[0] & 0x80) != 0) return whole;
        if (start.TrimStart(" \t\r\n"u8).StartsWith("-----BEGIN PGP "u8)) return new ArmoredInputStream(whole);
        throw new InvalidDataException(start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD])
            ? "This is a zstd stream, not an OpenPGP encrypted message: it was stored unencrypted and needs no decryption."
            : "This is not an OpenPGP encrypted message: it starts with neither an OpenPGP packet nor '-----BEGIN PGP MESSAGE-----'.");
    }

    static (PgpEncryptedData Data, Stream Clear) OpenAny(PgpEncryptedDataList list, DecryptionKeys keys)
    {
        var methods = list.GetEncryptedDataObjects().ToList();
        if (methods.Any(method => !method.IsIntegrityProtected()))
            throw new InvalidDataException(
                "The message is not integrity-protected (no modification detection code), so tampering could not be detected; refusing it.");

        var wrongSecretKeyPassphrase = new List<long>();
        foreach (var method in methods)
        {
            if (method is PgpPublicKeyEncryptedData toKey && keys.SecretKeys is { } secretKeys)
            {
                var candidates = toKey.KeyId == 0
                    ? secretKeys.GetKeyRings().SelectMany(ring => ring.GetSecretKeys()).Where(key => key.PublicKey.IsEncryptionKey)
                    : secretKeys.GetSecretKey(toKey.KeyId) is { } match ? [match] : [];
                foreach (var secretKey in candidates)
                {
                    if (secretKey.IsPrivateKeyEmpty) continue;
                    PgpPrivateKey privateKey;
                    try
                    {
                        privateKey = secretKey.ExtractPrivateKeyUtf8(keys.SecretKeyPassphrase.ToCharArray());
                    }
                    catch (PgpException)
                    {
                        wrongSecretKeyPassphrase.Add(secretKey.KeyId);
                        continue;
                    }

                    try
                    {
                        return (toKey, toKey.GetDataStream(privateKey));
                    }
                    catch (PgpException) when (toKey.KeyId == 0)
                    {
                        // A hidden recipient: this wasn't the key.
                    }
                }
            }
            else if (method is PgpPbeEncryptedData toPassphrase && keys.Passphrase is { } passphrase)
            {
                try
                {
                    return (toPassphrase, toPassphrase.GetDataStreamUtf8(passphrase.ToCharArray()));
                }
                catch (PgpException)
                {
                    // A wrong passphrase fails the quick check (or yields no valid session key); try the next method.
                }
            }
        }

        if (wrongSecretKeyPassphrase.Count > 0)
            throw new CryptographicException(
                $"The passphrase of secret key {string.Join(", ", wrongSecretKeyPassphrase.Select(id => $"{id:X16}"))} is wrong.");
        var keyIds = methods.OfType<PgpPublicKeyEncryptedData>().Select(method => $"{method.KeyId:X16}").ToList();
        var to = string.Join(" or ", [.. keyIds.Count > 0 ? [$"key {string.Join(", ", keyIds)}"] : Array.Empty<string>(),
            .. methods.OfType<PgpPbeEncryptedData>().Any() ? ["a passphrase"] : Array.Empty<string>()]);
        throw new CryptographicException($"None of the given keys opens this message; it is encrypted to {to}.");
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        int read;
        try
        {
            read = plaintext.Read(buffer);
        }
        catch (Exception e) when (e is PgpException or EndOfStreamException or ArmoredInputException)
        {
            throw new InvalidDataException($"The encrypted data is damaged or cut short ({e.Message}).", e);
        }

        if (read == 0) CheckIntegrity();
        return read;
    }

    void CheckIntegrity()
    {
        if (checkedIntegrity) return;
        bool intact;
        try
        {
            intact = encrypted.Verify();
        }
        catch (Exception e) when (e is PgpException or IOException)
        {
            throw new InvalidDataException($"The encrypted data is damaged or cut short ({e.Message}).", e);
        }

        if (!intact)
            throw new InvalidDataException(
                "The encrypted data failed its integrity check (modification detection code): it was altered or damaged; do not restore it.");
        checkedIntegrity = true;
    }

    /// <summary>The bytes read to tell binary from armored, then the rest of the input; disposing leaves the input open.</summary>
    sealed class HeadThenRest(byte[] head, int headLength, Stream rest) : ReadOnlyStream
    {
        int headRead;

        public override int Read(Span<byte> buffer)
        {
            if (headRead == headLength) return rest.Read(buffer);
            var count = Math.Min(buffer.Length, headLength - headRead);
            head.AsSpan(headRead, count).CopyTo(buffer);
            headRead += count;
            return count;
        }
    }
}
