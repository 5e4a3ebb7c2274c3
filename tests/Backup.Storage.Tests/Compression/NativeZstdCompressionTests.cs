using Backup.Storage.Compression;
using ZstdSharp;

namespace Backup.Storage.Tests.Compression;

/// <summary>
/// The dumper's compression through zstd's C library: a frame with a content checksum that the managed decoder (the
/// restorer's) reads back byte for byte, whatever the pieces it was written in and with or without worker threads.
/// </summary>
public class When_the_dumper_compresses_with_zstd
{
    static readonly byte[] Data = CopyText.NineMegabytes;

    static async Task<byte[]> CompressAsync(int workers, int pieceBytes)
    {
        using var compressed = new MemoryStream();
        await using (var zstd = NativeZstdCompression.Open(compressed, level: 3, workers, jobBytes: 4 << 20))
        {
            Assert.IsType<NativeZstdCompression>(zstd); // libzstd.so.1 is there on every machine this runs on
            for (var at = 0; at < Data.Length; at += pieceBytes)
                await zstd.WriteAsync(Data.AsMemory(at, Math.Min(pieceBytes, Data.Length - at)));
        }
        return compressed.ToArray();
    }

    [Theory]
    [InlineData(0, 1 << 20)]
    [InlineData(1, 1 << 20)]
    [InlineData(1, 4093)]
    public async Task The_managed_decoder_reads_back_every_byte(int workers, int pieceBytes)
    {
        var compressed = await CompressAsync(workers, pieceBytes);

        Assert.InRange(compressed.Length, 1, Data.Length / 3);
        using var decompressor = new Decompressor();
        Assert.Equal(Data, decompressor.Unwrap(compressed).ToArray());
    }

    [Fact]
    public async Task The_frame_carries_a_checksum_that_catches_a_changed_byte()
    {
        var compressed = await CompressAsync(workers: 1, pieceBytes: 1 << 20);

        Assert.Equal(0x04, compressed[4] & 0x04); // the frame header's Content_Checksum_flag
        compressed[compressed.Length / 2] ^= 0x10;
        using var decompressor = new Decompressor();
        Assert.ThrowsAny<Exception>(() => decompressor.Unwrap(compressed).ToArray());
    }
}
