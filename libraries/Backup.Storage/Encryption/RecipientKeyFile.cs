using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Backup.Storage.Encryption;

/// <summary>A key that artifacts are encrypted to, and how the manifest names it: "76537E8EFA207CDB Ops &lt;ops@example.com&gt;".</summary>
sealed record Recipient(PgpPublicKey Key, string Label);

/// <summary>
/// Reads an OpenPGP public key file and picks, for every certificate in it, the key that gpg would encrypt to: the
/// newest subkey (or the primary key) that is for encryption, bound by a self-signature that verifies, and neither
/// revoked nor expired at the given time. Only self-signatures that verify count; everything else in the file is
/// ignored, so no appended packet can change the outcome.
/// </summary>
static class RecipientKeyFile
{
    /// <summary>Large enough for a key with many third-party signatures, small enough to refuse a dump named by mistake.</summary>
    const long MaxBytes = 16 << 20;

    const string ExportHint = "export it with 'gpg --export --armor <fingerprint>'";

    const string AddSubkeyHint = "'gpg --quick-add-key <fingerprint> cv25519 encr' and export it again";

    public static bool TryLoad(string? path, DateTimeOffset now, out IReadOnlyList<Recipient> recipients, out string problem)
    {
        recipients = [];
        problem = "";
        if (string.IsNullOrWhiteSpace(path))
        {
            problem = $"is empty; give the path of an OpenPGP public key file ({ExportHint})";
            return false;
        }

        if (!TryRead(path, out var bytes, out problem)) return false;
        if (!TryParse(path, bytes, out var rings, out problem)) return false;

        var usable = new List<Recipient>();
        var reasons = new List<string>();
        foreach (var ring in rings)
        {
            if (Evaluate(ring, now, out var recipient, out var reason)) usable.Add(recipient);
            else reasons.Add(reason);
        }

        if (usable.Count == 0)
        {
            problem = $"'{path}' holds no key that can encrypt: {string.Join("; ", reasons)}";
            return false;
        }

        recipients = usable;
        return true;
    }

    static bool TryRead(string path, out byte[] bytes, out string problem)
    {
        bytes = [];
        problem = "";
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                problem = Directory.Exists(path)
                    ? $"'{path}' is a folder; give the path of a public key file in it"
                    : Path.IsPathFullyQualified(path)
                        ? $"'{path}' does not exist"
                        : $"'{path}' does not exist (a relative path, looked for at '{Path.GetFullPath(path)}')";
                return false;
            }

            if (file.Length > MaxBytes)
            {
                problem = $"'{path}' is {file.Length / (1 << 20)} MiB, too large for a public key file ({ExportHint})";
                return false;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException)
        {
            problem = $"'{path}' cannot be read by this service (permission denied)";
            return false;
        }
        catch (IOException e)
        {
            problem = $"'{path}' cannot be read: {e.Message}";
            return false;
        }

        if (bytes.Length == 0)
        {
            problem = $"'{path}' is empty ({ExportHint})";
            return false;
        }

        return true;
    }

    static bool TryParse(string path, byte[] bytes, out List<PgpPublicKeyRing> rings, out string problem)
    {
        rings = [];
        problem = "";
        var secretKeys = 0;
        try
        {
            foreach (var segment in Segments(bytes))
            {
                using var input = new MemoryStream(bytes, segment.Offset, segment.Count, writable: false);
                var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(input));
                for (var item = factory.NextPgpObject(); item is not null; item = factory.NextPgpObject())
                {
                    if (item is PgpPublicKeyRing ring) rings.Add(ring);
                    else if (item is PgpSecretKeyRing) secretKeys++;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problem = $"'{path}' is not an OpenPGP public key file ({e.Message}); {ExportHint}";
            return false;
        }

        if (rings.Count > 0) return true;
        problem = secretKeys > 0
            ? $"'{path}' holds a secret key; give the public key instead ({ExportHint}), and keep the secret key off this server"
            : $"'{path}' holds no OpenPGP public key ({ExportHint})";
        return false;
    }

    /// <summary>A binary file as a whole; an armored one block by block, as "cat a.asc b.asc > keys.asc" makes them.</summary>
    static IEnumerable<ArraySegment<byte>> Segments(byte[] bytes)
    {
        var begin = "-----BEGIN PGP "u8;
        var starts = new List<int>();
        if ((bytes[0] & 0x80) == 0)
            for (var at = bytes.AsSpan().IndexOf(begin); at >= 0;)
            {
                starts.Add(at);
                var next = bytes.AsSpan(at + begin.Length).IndexOf(begin);
                at = next < 0 ? -1 : at + begin.Length + next;
            }

        if (starts.Count == 0) return [new ArraySegment<byte>(bytes)];
        return starts.Select((start, i) =>
            new ArraySegment<byte>(bytes, start, (i + 1 < starts.Count ? starts[i + 1] : bytes.Length) - start));
    }

    static bool Evaluate(PgpPublicKeyRing ring, DateTimeOffset now, out Recipient recipient, out string reason)
    {
        recipient = null!;
        var primary = ring.GetPublicKey();
        var (selfSignature, userId) = PrimarySelfSignature(primary, now);
        var name = userId is null ? $"{primary.KeyId:X16}" : $"{primary.KeyId:X16} \"{userId}\"";
        if (primary.Version != 4)
        {
            reason = $"{name}: it is a version {primary.Version} key, and only version 4 keys (as gpg 2.2 makes them) are supported";
            return false;
        }

        if (IsRevoked(primary, PgpSignature.KeyRevocation, Certified.PrimaryKey(primary), primary, now))
        {
            reason = $"{name}: it is revoked (use the administrator's current key)";
            return false;
        }

        if (selfSignature is null)
        {
            reason = $"{name}: it carries no valid self-signature, so gpg would not use it either";
            return false;
        }

        var primaryExpiry = ExpiryOf(primary, selfSignature);
        if (primaryExpiry <= now)
        {
            reason = $"{name}: it expired on {Format(primaryExpiry.Value)} (extend it with 'gpg --quick-set-expire <fingerprint> <time>' and export it again)";
            return false;
        }

        var candidates = new List<PgpPublicKey>();
        var unusable = new List<string>();
        if (IsForEncryption(primary, selfSignature)) candidates.Add(primary);
        foreach (var subkey in ring.GetPublicKeys().Where(key => !key.IsMasterKey))
        {
            var binding = LatestVerified(subkey.GetSignaturesOfType(PgpSignature.SubkeyBinding), primary, now,
                Certified.Subkey(primary, subkey));
            if (binding is null || !IsForEncryption(subkey, binding)) continue;
            if (IsRevoked(subkey, PgpSignature.SubkeyRevocation, Certified.Subkey(primary, subkey), primary, now))
                unusable.Add($"its encryption subkey {subkey.KeyId:X16} is revoked");
            else if (ExpiryOf(subkey, binding) is { } expiry && expiry <= now)
                unusable.Add($"its encryption subkey {subkey.KeyId:X16} expired on {Format(expiry)}");
            else
                candidates.Add(subkey);
        }

        if (candidates.Count == 0)
        {
            reason = unusable.Count > 0
                ? $"{name}: {string.Join(", ", unusable)} (add a new one with {AddSubkeyHint})"
                : ring.GetPublicKeys().Count() == 1
                    ? $"{name}: its only key is for signing (add an encryption subkey with {AddSubkeyHint})"
                    : $"{name}: none of its keys is for encryption, they are for signing (add an encryption subkey with {AddSubkeyHint})";
            return false;
        }

        // Like gpg: the newest usable encryption key.
        var chosen = candidates.MaxBy(key => key.CreationTime)!;
        recipient = new Recipient(chosen, userId is null ? $"{chosen.KeyId:X16}" : $"{chosen.KeyId:X16} {userId}");
        reason = "";
        return true;
    }

    /// <summary>
    /// The self-signature that states the primary key's flags and expiry: the newest verified one on the primary user
    /// id (or on any user id when none is marked primary, or a direct-key signature), and the user id it certifies.
    /// </summary>
    static (PgpSignature? Signature, string? UserId) PrimarySelfSignature(PgpPublicKey primary, DateTimeOffset now)
    {
        var certified = new List<(PgpSignature Signature, string UserId)>();
        foreach (var userId in primary.GetUserIds())
        {
            var signatures = primary.GetSignaturesForId(userId)?.ToList() ?? [];
            var revoked = signatures.Any(signature => signature.SignatureType == PgpSignature.CertificationRevocation
                && IsValid(signature, primary, now, Certified.UserId(userId, primary)));
            if (revoked) continue;
            var latest = LatestVerified(signatures.Where(signature => signature.IsCertification()), primary, now,
                Certified.UserId(userId, primary));
            if (latest is not null) certified.Add((latest, userId));
        }

        var chosen = certified
            .OrderByDescending(c => c.Signature.GetHashedSubPackets()?.IsPrimaryUserId() == true)
            .ThenByDescending(c => c.Signature.CreationTime)
            .Select(c => ((PgpSignature?)c.Signature, (string?)c.UserId))
            .FirstOrDefault();
        if (chosen.Item1 is not null) return chosen;

        var direct = LatestVerified(primary.GetSignaturesOfType(PgpSignature.DirectKey), primary, now,
            Certified.PrimaryKey(primary));
        return (direct, primary.GetUserIds().FirstOrDefault());
    }

    static PgpSignature? LatestVerified(IEnumerable<PgpSignature> signatures, PgpPublicKey primary, DateTimeOffset now,
        Certified certified) =>
        signatures.Where(signature => IsValid(signature, primary, now, certified)).MaxBy(signature => signature.CreationTime);

    static bool IsRevoked(PgpPublicKey key, int revocationType, Certified certified, PgpPublicKey primary, DateTimeOffset now) =>
        key.GetSignaturesOfType(revocationType).Any(signature => IsValid(signature, primary, now, certified));

    /// <summary>Made by the primary key, not in the future, and cryptographically sound.</summary>
    static bool IsValid(PgpSignature signature, PgpPublicKey primary, DateTimeOffset now, Certified certified)
    {
        if (signature.KeyId != 0 && signature.KeyId != primary.KeyId) return false;
        if (new DateTimeOffset(DateTime.SpecifyKind(signature.CreationTime, DateTimeKind.Utc)) > now.AddMinutes(5)) return false;
        try
        {
            var checkedAs = CheckedAs(signature, primary, certified);
            if (Checked.TryGetValue(checkedAs, out var sound)) return sound;
            signature.InitVerify(primary);
            sound = certified.Verify(signature);
            if (Checked.Count >= MaxChecked) Checked.Clear();
            Checked[checkedAs] = sound;
            return sound;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An unknown algorithm or a malformed signature: it proves nothing.
            return false;
        }
    }

    /// <summary>
    /// The cryptographic checks made so far in this process, by <see cref="CheckedAs"/>: the dumper reads its key
    /// files for every artifact, and checking is the costly part of that (BouncyCastle tests every RSA modulus for
    /// primality as it uses it: about 30 ms for a 3072-bit key, twice per artifact, deploy/bench/README.md). Whether
    /// a signature is sound depends only on the bytes it covers; the time checks are made every time.
    /// </summary>
    static readonly ConcurrentDictionary<string, bool> Checked = new(StringComparer.Ordinal);

    const int MaxChecked = 1024;

    /// <summary>A hash of everything a check covers: the signature packet, the primary key's packet and what it certifies.</summary>
    static string CheckedAs(PgpSignature signature, PgpPublicKey primary, Certified certified)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([certified.Kind]);
        foreach (var part in (byte[][])[signature.GetEncoded(), primary.PublicKeyPacket.GetEncodedContents(), certified.Subject])
        {
            hash.AppendData(BitConverter.GetBytes(part.Length));
            hash.AppendData(part);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>What a self-signature certifies besides the primary key, and how to check it: nothing more (a direct-key signature, the key's revocation), a user id, or a subkey.</summary>
    readonly record struct Certified(byte Kind, byte[] Subject, Func<PgpSignature, bool> Verify)
    {
        public static Certified PrimaryKey(PgpPublicKey primary) =>
            new((byte)'k', [], signature => signature.VerifyCertification(primary));

        public static Certified UserId(string userId, PgpPublicKey primary) =>
            new((byte)'u', Encoding.UTF8.GetBytes(userId), signature => signature.VerifyCertification(userId, primary));

        public static Certified Subkey(PgpPublicKey primary, PgpPublicKey subkey) =>
            new((byte)'s', subkey.PublicKeyPacket.GetEncodedContents(), signature => signature.VerifyCertification(primary, subkey));
    }

    static bool IsForEncryption(PgpPublicKey key, PgpSignature selfSignature)
    {
        if (!key.IsEncryptionKey) return false;
        var subpackets = selfSignature.GetHashedSubPackets();
        if (subpackets is null || !subpackets.HasSubpacket(SignatureSubpacketTag.KeyFlags)) return true;
        return (subpackets.GetKeyFlags() & (PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage)) != 0;
    }

    static DateTimeOffset? ExpiryOf(PgpPublicKey key, PgpSignature selfSignature)
    {
        var seconds = selfSignature.GetHashedSubPackets()?.GetKeyExpirationTime() ?? 0;
        if (seconds <= 0) return null;
        return new DateTimeOffset(DateTime.SpecifyKind(key.CreationTime, DateTimeKind.Utc)).AddSeconds(seconds);
    }

    static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
