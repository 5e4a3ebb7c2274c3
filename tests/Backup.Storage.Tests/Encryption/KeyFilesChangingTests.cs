using Backup.Storage.Encryption;

namespace Backup.Storage.Tests.Encryption;

public class When_a_key_file_is_removed_or_damaged_after_start : IDisposable
{
    readonly GpgHome admin = new();
    readonly string keyFile;
    readonly OpenPgpEncryptor encryptor;

    public When_a_key_file_is_removed_or_damaged_after_start()
    {
        keyFile = admin.ExportPublicKey(admin.GenerateKey("Ops <ops@example.com>"), admin.FileIn("ops.asc"));
        encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [keyFile], Passphrase = "break-glass-2026" });
    }

    [Fact]
    public void It_throws_before_writing_a_single_byte_when_the_file_is_gone()
    {
        File.Delete(keyFile);
        using var output = new MemoryStream();

        var failure = Assert.Throws<EncryptionUnavailableException>(() => encryptor.Encrypt(output));

        Assert.Equal(0, output.Length);
        Assert.StartsWith("Encryption:RecipientKeyFiles:0: ", failure.Message);
        Assert.Contains("does not exist", failure.Message);
    }

    [Fact]
    public void It_throws_before_writing_a_single_byte_when_the_file_is_corrupted()
    {
        File.WriteAllBytes(keyFile, Bytes.Random(2000));
        using var output = new MemoryStream();

        Assert.Throws<EncryptionUnavailableException>(() => encryptor.Encrypt(output));
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void It_encrypts_while_the_file_is_intact_so_the_failures_are_the_files_doing()
    {
        using var output = new MemoryStream();

        encryptor.Encrypt(output).Dispose();

        Assert.True(output.Length > 0);
    }

    public void Dispose() => admin.Dispose();
}

public class When_a_key_expires_after_start : IDisposable
{
    readonly GpgHome admin = new();

    [Fact]
    public void It_throws_before_writing_when_the_clock_passes_the_expiry()
    {
        var keyFile = admin.ExportPublicKey(admin.GenerateKey("Temp <temp@example.com>", expire: "1d"), admin.FileIn("temp.asc"));
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        var encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [keyFile] }, clock);
        using (var output = new MemoryStream())
        {
            encryptor.Encrypt(output).Dispose();
            Assert.True(output.Length > 0);
        }

        clock.Now = clock.Now.AddDays(2);
        using var later = new MemoryStream();

        var failure = Assert.Throws<EncryptionUnavailableException>(() => encryptor.Encrypt(later));
        Assert.Contains("expired on", failure.Message);
        Assert.Equal(0, later.Length);
    }

    [Fact]
    public void It_can_still_be_made_by_the_container_but_refuses_to_encrypt_when_the_key_had_already_expired()
    {
        // Made by dependency injection inside a consumer: throwing there would bypass the consumer's own error
        // handling, so construction succeeds and Encrypt is where it fails, before writing anything.
        var keyFile = admin.ExportPublicKey(admin.GenerateKey("Temp <temp@example.com>", expire: "1d"), admin.FileIn("temp.asc"));
        var encryptor = Encrypting.Encryptor(new() { RecipientKeyFiles = [keyFile] }, new ManualTime(DateTimeOffset.UtcNow.AddDays(2)));
        using var output = new MemoryStream();

        Assert.True(encryptor.Enabled);
        Assert.Throws<EncryptionUnavailableException>(() => encryptor.Encrypt(output));
        Assert.Equal(0, output.Length);
    }

    public void Dispose() => admin.Dispose();
}
