using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Bcpg.Sig;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Backup.Ctl.Keys;

/// <summary>
/// An administrators' OpenPGP key pair, as gpg 2.2 makes and reads it: an RSA-3072 primary key that certifies and
/// signs, an RSA-3072 subkey that encrypts (what the dumper's Encryption:RecipientKeyFiles picks), AES-256 preferred,
/// no expiry. The secret half is protected by a passphrase when one is given (AES-256, iterated and salted S2K).
/// </summary>
public sealed class AdministratorKeyPair
{
    const int RsaBits = 3072;

    AdministratorKeyPair(PgpPublicKeyRing publicRing, PgpSecretKeyRing secretRing)
    {
        PublicRing = publicRing;
        SecretRing = secretRing;
    }

    public PgpPublicKeyRing PublicRing { get; }

    public PgpSecretKeyRing SecretRing { get; }

    /// <summary>The primary key's fingerprint, 40 hex digits: what gpg --list-keys shows, and what an operator compares.</summary>
    public string Fingerprint => Convert.ToHexString(PublicRing.GetPublicKey().GetFingerprint());

    public static AdministratorKeyPair Generate(string userId, string passphrase, DateTime now)
    {
        var random = new SecureRandom();
        var generator = GeneratorUtilities.GetKeyPairGenerator("RSA");
        generator.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(0x10001), random, RsaBits, 100));
        var primary = new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, generator.GenerateKeyPair(), now);
        var encryption = new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, generator.GenerateKeyPair(), now);

        var primaryPackets = new PgpSignatureSubpacketGenerator();
        primaryPackets.SetKeyFlags(false, PgpKeyFlags.CanCertify | PgpKeyFlags.CanSign);
        primaryPackets.SetPreferredSymmetricAlgorithms(false, [(int)SymmetricKeyAlgorithmTag.Aes256, (int)SymmetricKeyAlgorithmTag.Aes128]);
        primaryPackets.SetPreferredHashAlgorithms(false, [(int)HashAlgorithmTag.Sha512, (int)HashAlgorithmTag.Sha256]);
        primaryPackets.SetPreferredCompressionAlgorithms(false, [(int)CompressionAlgorithmTag.Uncompressed]);
        primaryPackets.SetFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
        var encryptionPackets = new PgpSignatureSubpacketGenerator();
        encryptionPackets.SetKeyFlags(false, PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage);

        // A protected key ends with a SHA-1 of its secret numbers (S2K usage 254); an unprotected one with the two-octet
        // checksum (usage 0), as RFC 4880 5.5.3 says: asked for SHA-1 without protection, BouncyCastle wrote a key that
        // gpg imported but could not decrypt with ("public key decryption failed: Checksum error").
        var protect = passphrase.Length > 0;
        var rings = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, primary, userId,
            protect ? SymmetricKeyAlgorithmTag.Aes256 : SymmetricKeyAlgorithmTag.Null, HashAlgorithmTag.Sha256,
            passphrase.ToCharArray(), useSha1: protect, primaryPackets.Generate(), null, random);
        rings.AddSubKey(encryption, encryptionPackets.Generate(), null, HashAlgorithmTag.Sha256);
        return new AdministratorKeyPair(rings.GeneratePublicKeyRing(), rings.GenerateSecretKeyRing());
    }

    /// <summary>Writes the public key, ASCII-armored (as 'gpg --export --armor' does), to a stream.</summary>
    public void WritePublic(Stream output) => WriteArmored(output, PublicRing.Encode);

    /// <summary>Writes the secret key, ASCII-armored (as 'gpg --export-secret-keys --armor' does), to a stream.</summary>
    public void WriteSecret(Stream output) => WriteArmored(output, SecretRing.Encode);

    static void WriteArmored(Stream output, Action<Stream> encode)
    {
        using var armored = new ArmoredOutputStream(output);
        encode(armored);
    }
}
