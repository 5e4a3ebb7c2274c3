using Backup.ServiceDefaults.Options;
using Backup.Storage.Encryption;

namespace Backup.Storage.Tests.Encryption;

/// <summary>The problems the service would report at start for an "Encryption" section.</summary>
static class Problems
{
    public static List<string> Of(EncryptionOptions options) => ValidatedOptions.Problems(options, EncryptionOptions.Section).ToList();

    public static List<string> At(EncryptionOptions options, DateTimeOffset now) =>
        options.Validate(now).Select(problem => $"{EncryptionOptions.Section}:{problem.Key}: {problem.Problem}").ToList();
}

public class When_encryption_is_configured_with_usable_keys : IDisposable
{
    readonly GpgHome admin = new();

    [Fact]
    public void It_has_no_problems()
    {
        var rsa = admin.ExportPublicKey(admin.GenerateKey("Ops <ops@example.com>", algorithm: "default"), admin.FileIn("ops.asc"));
        var ed25519 = admin.ExportPublicKey(admin.GenerateKey("Dba <dba@example.com>"), admin.FileIn("dba.gpg"), armor: false);

        Assert.Empty(Problems.Of(new() { RecipientKeyFiles = [rsa, ed25519], Passphrase = "break-glass-2026", Required = true }));
    }

    [Fact]
    public void It_has_no_problems_with_a_passphrase_alone_or_with_nothing_when_not_required()
    {
        Assert.Empty(Problems.Of(new() { Passphrase = "break-glass-2026", Required = true }));
        Assert.Empty(Problems.Of(new()));
    }

    public void Dispose() => admin.Dispose();
}

public class When_a_recipient_key_file_is_unusable : IDisposable
{
    readonly GpgHome admin = new();
    readonly string goodKey;

    public When_a_recipient_key_file_is_unusable() =>
        goodKey = admin.ExportPublicKey(admin.GenerateKey("Ops <ops@example.com>"), admin.FileIn("ops.asc"));

    /// <summary>The bad file comes second, so the key must carry its own index.</summary>
    string SingleProblemFor(string badFile)
    {
        var problem = Assert.Single(Problems.Of(new() { RecipientKeyFiles = [goodKey, badFile] }));
        Assert.StartsWith("Encryption:RecipientKeyFiles:1: ", problem);
        Assert.Contains($"'{badFile}'", problem);
        return problem;
    }

    [Fact]
    public void It_reports_a_file_that_does_not_exist()
    {
        Assert.Contains("does not exist", SingleProblemFor(admin.FileIn("nobody.asc")));
    }

    [Fact]
    public void It_reports_a_file_of_garbage()
    {
        var garbage = admin.FileIn("garbage.asc");
        File.WriteAllBytes(garbage, Bytes.Random(4096));

        Assert.Matches("is not an OpenPGP public key file|holds no OpenPGP public key", SingleProblemFor(garbage));
    }

    [Fact]
    public void It_reports_a_text_file_that_is_not_a_key()
    {
        var text = admin.FileIn("notes.txt");
        File.WriteAllText(text, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG ops@example.com\n");

        Assert.Matches("is not an OpenPGP public key file|holds no OpenPGP public key", SingleProblemFor(text));
    }

    [Fact]
    public void It_reports_a_key_that_can_only_sign()
    {
        var signer = admin.GenerateKey("Signer <sign@example.com>", algorithm: "ed25519", usage: "sign");
        var file = admin.ExportPublicKey(signer, admin.FileIn("signer.asc"));

        var problem = SingleProblemFor(file);

        Assert.Contains("holds no key that can encrypt", problem);
        Assert.Contains("its only key is for signing", problem);
        Assert.Contains("Signer <sign@example.com>", problem);
    }

    [Fact]
    public void It_reports_a_key_that_has_expired()
    {
        // Made by gpg as of 2020 with a lifetime of a day: expired on 2020-01-02.
        var old = admin.GenerateKey("Old <old@example.com>", expire: "1d", fakedSystemTime: "20200101T000000");
        var file = admin.ExportPublicKey(old, admin.FileIn("old.asc"));

        var problem = SingleProblemFor(file);

        Assert.Contains("expired on 2020-01-02", problem);
    }

    [Fact]
    public void It_reports_a_key_that_has_been_revoked()
    {
        var revoked = admin.GenerateKey("Gone <gone@example.com>");
        admin.Revoke(revoked);
        var file = admin.ExportPublicKey(revoked, admin.FileIn("gone.asc"));

        Assert.Contains("is revoked", SingleProblemFor(file));
    }

    [Fact]
    public void It_reports_a_secret_key_given_instead_of_the_public_key()
    {
        var file = admin.ExportSecretKey(admin.Fingerprint("Ops <ops@example.com>"), admin.FileIn("ops-secret.asc"));

        Assert.Contains("holds a secret key", SingleProblemFor(file));
    }

    [Fact]
    public void It_reports_an_empty_file()
    {
        var file = admin.FileIn("empty.asc");
        File.WriteAllBytes(file, []);

        Assert.Contains("is empty", SingleProblemFor(file));
    }

    [Fact]
    public void It_reports_an_empty_entry_by_its_index()
    {
        var problem = Assert.Single(Problems.Of(new() { RecipientKeyFiles = [goodKey, " "] }));

        Assert.StartsWith("Encryption:RecipientKeyFiles:1: is empty", problem);
    }

    public void Dispose() => admin.Dispose();
}

public class When_a_recipient_key_is_checked_at_a_later_time : IDisposable
{
    readonly GpgHome admin = new();

    [Fact]
    public void It_is_usable_before_its_expiry_and_reported_after_it()
    {
        var file = admin.ExportPublicKey(admin.GenerateKey("Temp <temp@example.com>", expire: "1d"), admin.FileIn("temp.asc"));
        var options = new EncryptionOptions { RecipientKeyFiles = [file] };

        Assert.Empty(Problems.At(options, DateTimeOffset.UtcNow));
        var problem = Assert.Single(Problems.At(options, DateTimeOffset.UtcNow.AddDays(2)));
        Assert.StartsWith("Encryption:RecipientKeyFiles:0: ", problem);
        Assert.Contains("expired on", problem);
    }

    [Fact]
    public void It_reports_an_encryption_subkey_that_expired_though_the_key_did_not()
    {
        var fingerprint = admin.GenerateKey("Sub <sub@example.com>", algorithm: "ed25519", usage: "cert");
        admin.Run(stdin: "\n", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--quick-add-key", fingerprint, "cv25519", "encr", "1d");
        var options = new EncryptionOptions { RecipientKeyFiles = [admin.ExportPublicKey(fingerprint, admin.FileIn("sub.asc"))] };

        Assert.Empty(Problems.At(options, DateTimeOffset.UtcNow));
        var problem = Assert.Single(Problems.At(options, DateTimeOffset.UtcNow.AddDays(2)));
        Assert.Contains("its encryption subkey", problem);
        Assert.Contains("expired on", problem);
    }

    public void Dispose() => admin.Dispose();
}

public class When_encryption_is_required_but_nothing_is_configured
{
    [Fact]
    public void It_is_a_problem_naming_the_settings()
    {
        var problem = Assert.Single(Problems.Of(new() { Required = true }));

        Assert.StartsWith("Encryption:Required: ", problem);
        Assert.Contains("RecipientKeyFiles", problem);
        Assert.Contains("Passphrase", problem);
    }
}

public class When_the_passphrase_cannot_be_typed_into_gpg
{
    [Theory]
    [InlineData("first line\nsecond line")]
    [InlineData("   ")]
    public void It_is_a_problem_naming_the_passphrase_but_not_showing_it(string passphrase)
    {
        var problem = Assert.Single(Problems.Of(new() { Passphrase = passphrase }));

        Assert.StartsWith("Encryption:Passphrase: ", problem);
        Assert.DoesNotContain(passphrase, problem);
    }
}
