using System.Security.Cryptography;
using Backup.Storage;
using Backup.Storage.Encryption;
using Microsoft.Extensions.Options;
using ZstdSharp;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// A bare artifact store folder, filled the way the dumper fills it: the pg_dump archive compressed with zstd (and
/// OpenPGP-encrypted), hashed with SHA-256, written under <see cref="ArtifactKey.Create"/>'s key through the real
/// <see cref="FileSystemArtifactStore"/>, then its manifest, last. And ways to damage it.
/// </summary>
public sealed class TestStore : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    readonly FileSystemArtifactStore store;

    public TestStore()
    {
        store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = Root }), TimeProvider.System);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("ctl-store-").FullName;

    public string PathOf(ArtifactKey key) => Path.Combine(Root, key.Value);

    public string ManifestPathOf(ArtifactKey key) => Path.Combine(Root, key.ManifestPath);

    /// <summary>A complete backup of <paramref name="source"/>'s archive, as the dumper stores it.</summary>
    public Task<ArtifactKey> AddAsync(IDumpedSource source, DateTimeOffset at, string sourceName = "demo",
        ArtifactEncoding encoding = ArtifactEncoding.Zstd, Func<ArtifactManifest, ArtifactManifest>? editManifest = null) =>
        AddStoredAsync(source, Encode(source.Archive, encoding), at, sourceName, encoding, editManifest);

    /// <summary>A backup whose stored bytes are exactly <paramref name="stored"/>, with a manifest that matches them.</summary>
    public async Task<ArtifactKey> AddStoredAsync(IDumpedSource source, byte[] stored, DateTimeOffset at, string sourceName = "demo",
        ArtifactEncoding encoding = ArtifactEncoding.Zstd, Func<ArtifactManifest, ArtifactManifest>? editManifest = null)
    {
        var key = ArtifactKey.Create(sourceName, Guid.NewGuid(), at, encoding);
        await using (var write = await store.BeginWriteAsync(key, CancellationToken.None))
        {
            await write.Content.WriteAsync(stored);
            await write.CommitAsync(CancellationToken.None);
        }

        var manifest = new ArtifactManifest
        {
            RunId = Guid.ParseExact(key.Stem[(key.Stem.LastIndexOf('-') + 1)..], "N"),
            Source = sourceName,
            ArtifactKey = key.Value,
            Format = encoding == ArtifactEncoding.ZstdOpenPgp ? "pg_dump-custom+zstd+openpgp" : "pg_dump-custom+zstd",
            StartedAt = at,
            CompletedAt = at.AddSeconds(3),
            Database = source.Database,
            ServerVersion = source.ServerVersion,
            PgDumpVersion = source.PgDumpVersion,
            Tables = source.Tables,
            RawSizeBytes = source.Archive.Length,
            StoredSizeBytes = stored.Length,
            Compression = new ManifestCompression("zstd", 3),
            Encryption = encoding == ArtifactEncoding.ZstdOpenPgp ? new ManifestEncryption("openpgp", ["passphrase"]) : null,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(stored)),
        };
        await store.WriteManifestAsync(editManifest?.Invoke(manifest) ?? manifest, CancellationToken.None);
        return key;
    }

    /// <summary>The dumper's encoding: zstd, then for ".gpg" OpenPGP to <see cref="Passphrase"/> with the real encryptor.</summary>
    public static byte[] Encode(byte[] archive, ArtifactEncoding encoding) =>
        encoding == ArtifactEncoding.ZstdOpenPgp
            ? Encrypt(Compress(archive), new EncryptionOptions { Passphrase = Passphrase })
            : Compress(archive);

    /// <summary>OpenPGP-encrypts with the real encryptor, as the dumper does after zstd.</summary>
    public static byte[] Encrypt(byte[] compressed, EncryptionOptions options)
    {
        var encryptor = new OpenPgpEncryptor(Options.Create(options));
        using var output = new MemoryStream();
        using (var encrypting = encryptor.Encrypt(output))
            encrypting.Write(compressed);
        return output.ToArray();
    }

    public static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zstd = new CompressionStream(output, 3, leaveOpen: true))
            zstd.Write(data);
        return output.ToArray();
    }

    public static byte[] Decompress(byte[] data)
    {
        using var zstd = new DecompressionStream(new MemoryStream(data));
        using var output = new MemoryStream();
        zstd.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Flips one bit of one byte in the middle: same size, different content.</summary>
    public void FlipByte(ArtifactKey key)
    {
        var bytes = File.ReadAllBytes(PathOf(key));
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(PathOf(key), bytes);
    }

    /// <summary>Cuts the file to two thirds of its length, as a full disk or an interrupted copy would.</summary>
    public void Truncate(ArtifactKey key)
    {
        using var file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length * 2 / 3);
    }

    public void DeleteArtifact(ArtifactKey key) => File.Delete(PathOf(key));

    public void DeleteManifest(ArtifactKey key) => File.Delete(ManifestPathOf(key));

    /// <summary>A folder beside the store (not in it) for secret files, outputs and temporary files.</summary>
    public string Workspace { get; } = Directory.CreateTempSubdirectory("ctl-work-").FullName;

    /// <summary>A 0600 file in <see cref="Workspace"/>.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Workspace, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        Directory.Delete(Workspace, recursive: true);
    }
}
