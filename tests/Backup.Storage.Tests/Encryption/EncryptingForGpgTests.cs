using System.Text;
using Backup.Storage.Encryption;

namespace Backup.Storage.Tests.Encryption;

public class When_an_artifact_is_encrypted_to_one_recipient : IDisposable
{
    readonly GpgHome admin = new();
    readonly string fingerprint;
    readonly OpenPgpEncryptor encryptor;

    public When_an_artifact_is_encrypted_to_one_recipient()
    {
        // RSA here; the other scenarios use gpg's ed25519/cv25519 keys.
        fingerprint = admin.GenerateKey("Ops <ops@example.com>", algorithm: "default");
        encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [admin.ExportPublicKey(fingerprint, admin.FileIn("ops.asc"))] });
    }

    [Fact]
    public void It_is_decrypted_by_stock_gpg_to_the_same_bytes()
    {
        var plaintext = Bytes.Random(3 << 20);

        var decrypted = admin.Decrypt(Encrypting.Encrypt(encryptor, plaintext));

        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(decrypted.Stdout));
    }

    [Fact]
    public async Task It_is_decrypted_by_stock_gpg_when_written_asynchronously()
    {
        var plaintext = Bytes.Random(1 << 20);

        var decrypted = admin.Decrypt(await Encrypting.EncryptAsync(encryptor, plaintext));

        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(decrypted.Stdout));
    }

    [Fact]
    public void It_gives_gpg_an_empty_artifact_back_empty()
    {
        var decrypted = admin.Decrypt(Encrypting.Encrypt(encryptor, []));

        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Empty(decrypted.Stdout);
    }

    [Fact]
    public void It_uses_AES256_in_an_integrity_protected_packet_without_compression()
    {
        var packets = admin.ListPackets(Encrypting.Encrypt(encryptor, Bytes.Random(100_000)));

        Assert.Contains(":encrypted data packet:", packets);
        Assert.Contains("mdc_method: 2", packets);
        Assert.Contains("gpg: AES256 encrypted data", packets);
        Assert.DoesNotContain(":compressed packet:", packets);
        Assert.Contains(":literal data packet:", packets);
        Assert.Contains("mode b", packets);
    }

    [Fact]
    public void It_names_the_encryption_key_and_user_id_for_the_manifest()
    {
        var subkey = Assert.Single(admin.EncryptionSubkeyIds(fingerprint));

        Assert.True(encryptor.Enabled);
        Assert.Equal([$"{subkey} Ops <ops@example.com>"], encryptor.Recipients);
    }

    [Fact]
    public void It_leaves_the_output_open_for_the_caller_to_sync_and_rename()
    {
        using var output = new MemoryStream();

        encryptor.Encrypt(output).Dispose();

        Assert.True(output.CanWrite);
        Assert.True(output.Length > 0);
    }

    public void Dispose() => admin.Dispose();
}

public class When_an_artifact_is_encrypted_to_two_recipients : IDisposable
{
    readonly GpgHome alice = new();
    readonly GpgHome bob = new();
    readonly OpenPgpEncryptor encryptor;

    public When_an_artifact_is_encrypted_to_two_recipients()
    {
        var alicesKey = alice.ExportPublicKey(alice.GenerateKey("Alice <alice@example.com>"), alice.FileIn("alice.asc"));
        var bobsKey = bob.ExportPublicKey(bob.GenerateKey("Bob <bob@example.com>", algorithm: "default"), bob.FileIn("bob.gpg"), armor: false);
        encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [alicesKey, bobsKey] });
    }

    [Fact]
    public void It_is_decrypted_by_each_recipients_gpg_home_alone()
    {
        var plaintext = Bytes.Random(2 << 20);
        var ciphertext = Encrypting.Encrypt(encryptor, plaintext);

        var byAlice = alice.Decrypt(ciphertext);
        var byBob = bob.Decrypt(ciphertext);

        Assert.True(byAlice.ExitCode == 0, byAlice.Stderr);
        Assert.True(byBob.ExitCode == 0, byBob.Stderr);
        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(byAlice.Stdout));
        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(byBob.Stdout));
    }

    [Fact]
    public void It_lists_both_recipients()
    {
        Assert.Collection(encryptor.Recipients,
            alices => Assert.EndsWith(" Alice <alice@example.com>", alices),
            bobs => Assert.EndsWith(" Bob <bob@example.com>", bobs));
    }

    public void Dispose()
    {
        alice.Dispose();
        bob.Dispose();
    }
}

public class When_one_key_file_holds_the_keys_of_two_administrators : IDisposable
{
    readonly GpgHome alice = new();
    readonly GpgHome bob = new();
    readonly string keyFile;

    public When_one_key_file_holds_the_keys_of_two_administrators()
    {
        var alicesKey = alice.ExportPublicKey(alice.GenerateKey("Alice <alice@example.com>"), alice.FileIn("alice.asc"));
        var bobsKey = bob.ExportPublicKey(bob.GenerateKey("Bob <bob@example.com>"), bob.FileIn("bob.asc"));
        keyFile = alice.FileIn("admins.asc");
        // As "cat alice.asc bob.asc > admins.asc" would make it: two armored blocks.
        File.WriteAllText(keyFile, File.ReadAllText(alicesKey) + File.ReadAllText(bobsKey));
    }

    [Fact]
    public void It_encrypts_to_both_and_each_can_decrypt()
    {
        var encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [keyFile] });
        var plaintext = Bytes.Random(100_000);
        var ciphertext = Encrypting.Encrypt(encryptor, plaintext);

        Assert.Equal(2, encryptor.Recipients.Count);
        Assert.Equal(plaintext, alice.Decrypt(ciphertext).Stdout);
        Assert.Equal(plaintext, bob.Decrypt(ciphertext).Stdout);
    }

    public void Dispose()
    {
        alice.Dispose();
        bob.Dispose();
    }
}

public class When_an_artifact_is_encrypted_to_a_passphrase : IDisposable
{
    // Not ASCII on purpose: gpg hashes the passphrase's UTF-8 bytes, and so must we.
    const string Passphrase = "correct horse battery staple – Grüße";
    readonly GpgHome anyone = new();
    readonly OpenPgpEncryptor encryptor = Encrypting.Encryptor(new() { Passphrase = Passphrase });

    [Fact]
    public void It_is_decrypted_by_stock_gpg_given_the_passphrase_on_stdin()
    {
        var plaintext = Bytes.Random(2 << 20);

        var decrypted = anyone.Decrypt(Encrypting.Encrypt(encryptor, plaintext), Passphrase);

        Assert.True(decrypted.ExitCode == 0, decrypted.Stderr);
        Assert.Equal(Bytes.Sha256(plaintext), Bytes.Sha256(decrypted.Stdout));
    }

    [Fact]
    public void It_is_not_decrypted_by_gpg_with_another_passphrase()
    {
        var decrypted = anyone.Decrypt(Encrypting.Encrypt(encryptor, Bytes.Random(1000)), "correct horse battery staple");

        Assert.NotEqual(0, decrypted.ExitCode);
        Assert.Empty(decrypted.Stdout);
    }

    [Fact]
    public void It_hashes_the_passphrase_as_hard_as_gpg_allows()
    {
        var packets = anyone.ListPackets(Encrypting.Encrypt(encryptor, Bytes.Random(1000)));

        // Iterated and salted SHA-256 S2K over 65,011,712 bytes, not BouncyCastle's default of 65,536.
        Assert.Contains(":symkey enc packet:", packets);
        Assert.Contains("hash 8", packets);
        Assert.Contains("count 65011712", packets);
    }

    [Fact]
    public void It_lists_the_passphrase_as_a_recipient_without_revealing_it()
    {
        Assert.Equal(["passphrase"], encryptor.Recipients);
    }

    public void Dispose() => anyone.Dispose();
}

public class When_an_artifact_is_encrypted_to_recipients_and_a_passphrase : IDisposable
{
    const string Passphrase = "break-glass-2026";
    readonly GpgHome admin = new();
    readonly GpgHome anyone = new();
    readonly OpenPgpEncryptor encryptor;

    public When_an_artifact_is_encrypted_to_recipients_and_a_passphrase()
    {
        var keyFile = admin.ExportPublicKey(admin.GenerateKey("Ops <ops@example.com>"), admin.FileIn("ops.asc"));
        encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [keyFile], Passphrase = Passphrase });
    }

    [Fact]
    public void It_is_decrypted_by_gpg_either_with_the_key_or_with_the_passphrase()
    {
        var plaintext = Bytes.Random(1 << 20);
        var ciphertext = Encrypting.Encrypt(encryptor, plaintext);

        var byKey = admin.Decrypt(ciphertext);
        var byPassphrase = anyone.Decrypt(ciphertext, Passphrase);

        Assert.True(byKey.ExitCode == 0, byKey.Stderr);
        Assert.True(byPassphrase.ExitCode == 0, byPassphrase.Stderr);
        Assert.Equal(plaintext, byKey.Stdout);
        Assert.Equal(plaintext, byPassphrase.Stdout);
    }

    [Fact]
    public void It_lists_the_key_and_the_passphrase_but_never_the_passphrase_itself()
    {
        Assert.Collection(encryptor.Recipients,
            key => Assert.Matches("^[0-9A-F]{16} Ops <ops@example.com>$", key),
            passphrase => Assert.Equal("passphrase", passphrase));
        Assert.DoesNotContain(encryptor.Recipients, recipient => recipient.Contains(Passphrase, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        admin.Dispose();
        anyone.Dispose();
    }
}

public class When_encryption_is_not_configured
{
    [Fact]
    public void It_is_disabled_and_refuses_to_encrypt_rather_than_pass_plaintext_through()
    {
        var encryptor = Encrypting.Encryptor(new());
        using var output = new MemoryStream();

        Assert.False(encryptor.Enabled);
        Assert.Empty(encryptor.Recipients);
        Assert.Throws<InvalidOperationException>(() => encryptor.Encrypt(output));
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void It_refuses_to_start_when_encryption_is_required()
    {
        var failure = Assert.Throws<EncryptionUnavailableException>(() => Encrypting.Encryptor(new() { Required = true }));

        Assert.Contains("Encryption:Required", failure.Message);
    }
}
