using Backup.Storage.Compression;
using ZstdSharp;

namespace Backup.Storage.Tests.Compression;

/// <summary>
/// The restores' decompression through zstd's C library: every byte back whatever the reads' sizes, frames from either
/// encoder and several in a row, and damaged input refused the way ZstdSharp (the fallback) refuses it, so the
/// operator's messages stay the same.
/// </summary>
public class When_an_artifact_is_decompressed_with_zstd
{
    static readonly byte[] Data = CopyText.NineMegabytes;

    static byte[] Native(byte[] data, int workers = 0)
    {
        using var compressed = new MemoryStream();
        using (var zstd = NativeZstdCompression.Open(compressed, level: 3, workers, jobBytes: 4 << 20))
            zstd.Write(data);
        return compressed.ToArray();
    }

    static byte[] Managed(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var zstd = new CompressionStream(compressed, 3, leaveOpen: true))
            zstd.Write(data);
        return compressed.ToArray();
    }

    static byte[] ReadAll(Stream stream, int readBytes)
    {
        using var all = new MemoryStream();
        var buffer = new byte[readBytes];
        int read;
        while ((read = stream.Read(buffer)) > 0) all.Write(buffer, 0, read);
        return all.ToArray();
    }

    static async Task<byte[]> ReadAllAsync(Stream stream, int readBytes)
    {
        using var all = new MemoryStream();
        var buffer = new byte[readBytes];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) all.Write(buffer, 0, read);
        return all.ToArray();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 4093)]
    [InlineData(1, 1 << 20)]
    public async Task Every_byte_comes_back_whatever_the_reads(int workers, int readBytes)
    {
        var compressed = Native(Data, workers);

        await using (var zstd = NativeZstdDecompression.Open(new MemoryStream(compressed)))
        {
            Assert.IsType<NativeZstdDecompression>(zstd); // libzstd.so.1 is there on every machine this runs on
            Assert.Equal(Data, await ReadAllAsync(zstd, readBytes));
        }
        await using (var zstd = NativeZstdDecompression.Open(new MemoryStream(compressed)))
            Assert.Equal(Data, ReadAll(zstd, readBytes));
    }

    [Fact]
    public void Frames_from_the_managed_encoder_and_several_in_a_row_come_back_whole()
    {
        var half = Data.Length / 2;
        byte[] frames = [.. Managed(Data[..half]), .. Native(Data[half..])];

        using var zstd = NativeZstdDecompression.Open(new MemoryStream(frames));
        Assert.Equal(Data, ReadAll(zstd, 64 << 10));
    }

    [Fact]
    public void An_empty_stream_is_empty()
    {
        using var zstd = NativeZstdDecompression.Open(new MemoryStream());
        Assert.Equal(-1, zstd.ReadByte());
    }

    [Fact]
    public void A_stream_cut_short_in_a_frame_is_refused_as_truncated()
    {
        var compressed = Native(Data);

        AssertRefusedLikeZstdSharp<EndOfStreamException>(compressed[..(compressed.Length / 2)]);
        AssertRefusedLikeZstdSharp<EndOfStreamException>(compressed[..^1]); // only the checksum's last byte missing
    }

    [Fact]
    public void A_changed_byte_is_refused_by_the_frames_checksum()
    {
        var compressed = Native(Data);
        compressed[compressed.Length / 2] ^= 0x10;

        AssertRefusedLikeZstdSharp<ZstdException>(compressed);
    }

    [Fact]
    public void Bytes_that_are_not_zstd_are_refused_by_name()
    {
        var notZstd = AssertRefusedLikeZstdSharp<ZstdException>(Data[..5000]);
        Assert.Equal("Unknown frame descriptor", notZstd.Message);
        AssertRefusedLikeZstdSharp<ZstdException>([.. Native(Data[..1000]), 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    [Fact]
    public void The_source_is_disposed_with_it_unless_left_open()
    {
        var source = new MemoryStream(Native(Data[..100]));
        NativeZstdDecompression.Open(source, leaveOpen: true).Dispose();
        Assert.True(source.CanRead);
        NativeZstdDecompression.Open(source).Dispose();
        Assert.False(source.CanRead);
    }

    /// <summary>Both decoders refuse <paramref name="damaged"/> with <typeparamref name="T"/>; returns the native one's.</summary>
    static T AssertRefusedLikeZstdSharp<T>(byte[] damaged) where T : Exception
    {
        using (var managed = new DecompressionStream(new MemoryStream(damaged)))
            Assert.Throws<T>(() => ReadAll(managed, 1 << 16));
        using var native = NativeZstdDecompression.Open(new MemoryStream(damaged));
        Assert.IsType<NativeZstdDecompression>(native);
        return Assert.Throws<T>(() => ReadAll(native, 1 << 16));
    }
}
