using System.Security.Cryptography;
using Backup.Storage.Encryption;

namespace Backup.Storage.Tests.Encryption;

public class When_the_recovery_tool_decrypts_an_artifact : IDisposable
{
    const string Passphrase = "break-glass-2026";
    readonly GpgHome admin = new();
    readonly string fingerprint;
    readonly OpenPgpEncryptor encryptor;

    public When_the_recovery_tool_decrypts_an_artifact()
    {
        fingerprint = admin.GenerateKey("Ops <ops@example.com>");
        encryptor = Encrypting.Encryptor(new()
        {
            RecipientKeyFiles = [admin.ExportPublicKey(fingerprint, admin.FileIn("ops.asc"))],
            Passphrase = Passphrase,
        });
    }

    [Fact]
    public void It_opens_it_with_the_secret_key_exported_from_gpg()
    {
        var plaintext = Bytes.Random(3 << 20);
        var keys = DecryptionKeys.FromSecretKeyFile(admin.ExportSecretKey(fingerprint, admin.FileIn("ops-secret.asc")));

        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(Encrypting.Decrypt(Encrypting.Encrypt(encryptor, plaintext), keys)));
    }

    [Fact]
    public void It_opens_it_with_the_passphrase()
    {
        var plaintext = Bytes.Random(1 << 20);

        Assert.Equal(plaintext, Encrypting.Decrypt(Encrypting.Encrypt(encryptor, plaintext), DecryptionKeys.FromPassphrase(Passphrase)));
    }

    [Fact]
    public void It_opens_what_stock_gpg_encrypted_and_compressed()
    {
        var plaintext = Bytes.Random(200_000);
        var keys = DecryptionKeys.FromSecretKeyFile(admin.ExportSecretKey(fingerprint, admin.FileIn("ops-secret.asc")));

        Assert.Equal(plaintext, Encrypting.Decrypt(admin.EncryptWithGpg(plaintext, fingerprint), keys));
    }

    [Fact]
    public void It_reads_from_a_stream_that_cannot_seek()
    {
        var plaintext = Bytes.Random(300_000);
        var ciphertext = Encrypting.Encrypt(encryptor, plaintext);
        using var pipe = new ForwardOnlyStream(new MemoryStream(ciphertext));

        using var decrypting = OpenPgpEncryptor.Decrypt(pipe, DecryptionKeys.FromPassphrase(Passphrase));
        using var read = new MemoryStream();
        decrypting.CopyTo(read);

        Assert.Equal(plaintext, read.ToArray());
    }

    [Fact]
    public void It_refuses_a_wrong_passphrase()
    {
        var ciphertext = Encrypting.Encrypt(encryptor, Bytes.Random(1000));

        var failure = Assert.Throws<CryptographicException>(() => Encrypting.Decrypt(ciphertext, DecryptionKeys.FromPassphrase("guess")));
        Assert.Contains("a passphrase", failure.Message);
    }

    [Fact]
    public void It_refuses_a_secret_key_the_artifact_is_not_encrypted_to()
    {
        using var stranger = new GpgHome();
        var strangersKey = stranger.GenerateKey("Stranger <x@example.com>");
        var keys = DecryptionKeys.FromSecretKeyFile(stranger.ExportSecretKey(strangersKey, stranger.FileIn("x-secret.asc")));
        var ciphertext = Encrypting.Encrypt(encryptor, Bytes.Random(1000));

        var failure = Assert.Throws<CryptographicException>(() => Encrypting.Decrypt(ciphertext, keys));
        Assert.Contains(Assert.Single(admin.EncryptionSubkeyIds(fingerprint)), failure.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x00, 0x01, 0x00 })] // the start of a zstd frame: an unencrypted artifact
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x01, 0x02 })]
    [InlineData(new byte[] { })]
    public void It_says_when_the_input_is_not_an_encrypted_message(byte[] input)
    {
        Assert.Throws<InvalidDataException>(() => Encrypting.Decrypt(input, DecryptionKeys.FromPassphrase(Passphrase)));
    }

    [Fact]
    public void It_refuses_a_public_key_file_given_as_the_secret_key()
    {
        var failure = Assert.Throws<InvalidDataException>(() => DecryptionKeys.FromSecretKeyFile(admin.FileIn("ops.asc")));

        Assert.Contains("only public keys", failure.Message);
    }

    public void Dispose() => admin.Dispose();
}

public class When_the_secret_key_is_protected_by_a_passphrase : IDisposable
{
    const string KeyPassphrase = "admin's own – pässphrase";
    readonly GpgHome admin = new();
    readonly string fingerprint;
    readonly OpenPgpEncryptor encryptor;

    public When_the_secret_key_is_protected_by_a_passphrase()
    {
        fingerprint = admin.GenerateProtectedKey("Ops <ops@example.com>", KeyPassphrase);
        encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [admin.ExportPublicKey(fingerprint, admin.FileIn("ops.asc"))] });
    }

    [Fact]
    public void It_opens_the_artifact_with_the_keys_passphrase()
    {
        var plaintext = Bytes.Random(100_000);
        var keys = DecryptionKeys.FromSecretKeyFile(admin.ExportSecretKey(fingerprint, admin.FileIn("secret.asc"), KeyPassphrase), KeyPassphrase);

        Assert.Equal(plaintext, Encrypting.Decrypt(Encrypting.Encrypt(encryptor, plaintext), keys));
    }

    [Fact]
    public void It_says_the_keys_passphrase_is_wrong()
    {
        var keys = DecryptionKeys.FromSecretKeyFile(admin.ExportSecretKey(fingerprint, admin.FileIn("secret.asc"), KeyPassphrase), "wrong");

        var failure = Assert.Throws<CryptographicException>(() => Encrypting.Decrypt(Encrypting.Encrypt(encryptor, Bytes.Random(10)), keys));
        Assert.Contains("passphrase of secret key", failure.Message);
    }

    public void Dispose() => admin.Dispose();
}

public class When_an_encrypted_artifact_is_tampered_with : IDisposable
{
    const string Passphrase = "break-glass-2026";
    readonly GpgHome admin = new();
    readonly string fingerprint;
    readonly byte[] plaintext = Bytes.Random(1 << 20);
    readonly byte[] ciphertext;

    public When_an_encrypted_artifact_is_tampered_with()
    {
        fingerprint = admin.GenerateKey("Ops <ops@example.com>");
        var encryptor = Encrypting.Encryptor(new()
        {
            RecipientKeyFiles = [admin.ExportPublicKey(fingerprint, admin.FileIn("ops.asc"))],
            Passphrase = Passphrase,
        });
        ciphertext = Encrypting.Encrypt(encryptor, plaintext);
    }

    DecryptionKeys SecretKey() => DecryptionKeys.FromSecretKeyFile(admin.ExportSecretKey(fingerprint, admin.FileIn("secret.asc")));

    static byte[] Flipped(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x01;
        return copy;
    }

    [Fact]
    public void It_decrypts_intact_so_the_failures_below_are_the_flipped_bytes()
    {
        Assert.Equal(plaintext, Encrypting.Decrypt(ciphertext, SecretKey()));
        Assert.Equal(0, admin.Decrypt(ciphertext).ExitCode);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void It_makes_our_Decrypt_throw_when_read_to_the_end(double where)
    {
        var tampered = Flipped(ciphertext, (int)(ciphertext.Length * where));

        Assert.Throws<InvalidDataException>(() => Encrypting.Decrypt(tampered, SecretKey()));
        Assert.Throws<InvalidDataException>(() => Encrypting.Decrypt(tampered, DecryptionKeys.FromPassphrase(Passphrase)));
    }

    [Fact]
    public void It_makes_our_Decrypt_throw_when_the_last_byte_the_integrity_code_is_flipped()
    {
        Assert.Throws<InvalidDataException>(() => Encrypting.Decrypt(Flipped(ciphertext, ciphertext.Length - 1), SecretKey()));
    }

    [Fact]
    public void It_makes_stock_gpg_fail()
    {
        var decrypted = admin.Decrypt(Flipped(ciphertext, ciphertext.Length / 2));

        Assert.NotEqual(0, decrypted.ExitCode);
    }

    [Fact]
    public void It_makes_our_Decrypt_throw_when_the_artifact_is_cut_short()
    {
        var truncated = ciphertext[..(ciphertext.Length - 1000)];

        Assert.Throws<InvalidDataException>(() => Encrypting.Decrypt(truncated, SecretKey()));
    }

    public void Dispose() => admin.Dispose();
}

/// <summary>A pipe-like stream: reads forward only, no length, no seeking.</summary>
sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
